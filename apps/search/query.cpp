#include "search/query.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>

#include "cliprt/error.h"

namespace cliprt::search {

namespace {

double norm(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += static_cast<double>(x) * x;
    return std::sqrt(s);
}

// "  -1.5 :rest" -> weight text "-1.5" and "rest": optional spaces, a decimal number (digits with an
// optional fraction, or a fraction alone), optional spaces, a colon. A hand-written scanner, not
// std::regex: the text comes from the web page too, and libstdc++'s regex recurses per character.
bool split_weight(const std::string& arg, std::string& number, std::string& rest) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    size_t i = 0;
    const size_t n = arg.size();
    while (i < n && space(arg[i])) ++i;
    const size_t start = i;
    if (i < n && (arg[i] == '+' || arg[i] == '-')) ++i;
    size_t whole = 0, fraction = 0;
    while (i < n && digit(arg[i])) ++i, ++whole;
    if (i < n && arg[i] == '.') {
        ++i;
        while (i < n && digit(arg[i])) ++i, ++fraction;
        if (whole == 0 && fraction == 0) return false;
    }
    if (whole == 0 && fraction == 0) return false;
    const size_t end = i;
    while (i < n && space(arg[i])) ++i;
    if (i >= n || arg[i] != ':') return false;
    number = arg.substr(start, end - start);
    rest = arg.substr(i + 1);
    return true;
}

}  // namespace

QueryTerm parse_weighted(const std::string& arg, QueryTerm::Kind kind) {
    QueryTerm term;
    term.kind = kind;
    std::string number;
    if (split_weight(arg, number, term.value)) {
        const char* begin = number.data() + (number[0] == '+' ? 1 : 0);
        float weight = 0;
        const auto [end, ec] = std::from_chars(begin, number.data() + number.size(), weight);
        // Out of float's range (fifty digits) is an invalid weight like infinity, not an exception.
        term.weight =
            ec == std::errc() && end == number.data() + number.size() ? weight : std::numeric_limits<float>::infinity();
    } else {
        term.value = arg;
    }
    if (kind == QueryTerm::Kind::Text) {
        const size_t first = term.value.find_first_not_of(" \t");
        term.value = first == std::string::npos ? "" : term.value.substr(first);
    }
    if (term.value.empty()) fail("empty query term '", arg, "'");
    if (!std::isfinite(term.weight)) fail("invalid weight in query term '", arg, "'");
    return term;
}

std::vector<QueryTerm> build_query(const std::vector<std::string>& texts, const std::vector<std::string>& images,
                                   const std::vector<std::string>& negatives) {
    std::vector<QueryTerm> terms;
    for (const std::string& t : texts) terms.push_back(parse_weighted(t));
    for (const std::string& p : images) {
        // A file whose name happens to look like "2:x.jpg" is taken as it is.
        QueryTerm term = std::filesystem::exists(p) ? QueryTerm{QueryTerm::Kind::Image, 1.0f, p}
                                                    : parse_weighted(p, QueryTerm::Kind::Image);
        terms.push_back(std::move(term));
    }
    for (const std::string& t : negatives) {
        QueryTerm term = parse_weighted(t);
        term.weight = -term.weight;
        terms.push_back(std::move(term));
    }
    if (terms.empty()) fail("nothing to search for: give a text query or --image PATH");
    return terms;
}

std::vector<float> combine_query(const std::vector<QueryTerm>& terms,
                                 const std::vector<std::vector<float>>& embeddings) {
    if (terms.size() != embeddings.size() || terms.empty())
        fail("query: ", terms.size(), " terms, ", embeddings.size(), " embeddings");
    const size_t dim = embeddings[0].size();
    std::vector<double> sum(dim, 0.0);
    for (size_t t = 0; t < terms.size(); ++t) {
        if (embeddings[t].size() != dim) fail("query: embeddings of different sizes");
        const double n = norm(embeddings[t]);
        if (!(n > 0)) fail("query term '", terms[t].value, "' has a zero embedding");
        for (size_t i = 0; i < dim; ++i) sum[i] += terms[t].weight * embeddings[t][i] / n;
    }
    double total = 0;
    for (double x : sum) total += x * x;
    total = std::sqrt(total);
    if (!(total > 1e-6)) fail("the query terms cancel out: nothing left to search for");
    std::vector<float> out(dim);
    for (size_t i = 0; i < dim; ++i) out[i] = static_cast<float>(sum[i] / total);
    return out;
}

}  // namespace cliprt::search
