#include "server/box_query.h"

#include <cctype>

namespace cliprt::server {

namespace {

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

}  // namespace

BoxQuery split_box_query(const std::string& box) {
    BoxQuery q;
    std::string current;
    bool negative = false;
    auto flush = [&] {
        const std::string phrase = trim(current);
        if (!phrase.empty()) (negative ? q.negatives : q.texts).push_back(phrase);
        current.clear();
    };
    for (size_t i = 0; i < box.size(); ++i) {
        const char c = box[i];
        // An operator starts a word: at the beginning or after whitespace ("t-shirt" stays whole).
        const bool word_start = i == 0 || std::isspace(static_cast<unsigned char>(box[i - 1]));
        if ((c == '+' || c == '-') && word_start) {
            flush();
            negative = c == '-';
            continue;
        }
        current += c;
    }
    flush();
    return q;
}

std::vector<search::QueryTerm> parse_box_query(const std::string& box) {
    const BoxQuery q = split_box_query(box);
    return search::build_query(q.texts, {}, q.negatives);
}

}  // namespace cliprt::server
