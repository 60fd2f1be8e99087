// The split pattern as a hand-written scanner: at each position the first alternative that matches
// wins, as in the regex, and the scan continues after the match.
#include "text/tokenizer_split.h"

#include "text/tokenizer_unicode.h"

namespace cliprt::text {
namespace {

// IGNORECASE compares by simple case folding; onto the pattern's lowercase ASCII letters that
// folds the ASCII capitals, U+017F LONG S (onto 's') and U+212A KELVIN SIGN (onto 'k').
bool equal_ignore_case(char32_t c, char32_t pattern) {
    if (c == pattern) return true;
    if (pattern >= 'a' && pattern <= 'z' && c == pattern - 32) return true;
    return (pattern == 's' && c == 0x17F) || (pattern == 'k' && c == 0x212A);
}

size_t match_literal(std::u32string_view text, size_t at, std::u32string_view literal) {
    if (text.size() - at < literal.size()) return 0;
    for (size_t k = 0; k < literal.size(); ++k) {
        if (!equal_ignore_case(text[at + k], literal[k])) return 0;
    }
    return literal.size();
}

// With IGNORECASE the regex module treats a character as matching [\p{L}] in a negated class when
// one of its case variants is a letter. Over all code points that only changes U+0345 COMBINING
// GREEK YPOGEGRAMMENI (folds to iota): it matches neither [\p{L}]+ nor the negated class.
bool is_other(char32_t c) { return !is_regex_space(c) && !is_letter(c) && !is_number(c) && c != 0x345; }

size_t match_at(std::u32string_view text, size_t at) {
    for (std::u32string_view special : {kStartOfText, kEndOfText}) {
        if (size_t n = match_literal(text, at, special)) return n;
    }
    for (std::u32string_view contraction : {U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"}) {
        if (size_t n = match_literal(text, at, contraction)) return n;
    }
    size_t end = at;
    while (end < text.size() && is_letter(text[end])) ++end;
    if (end > at) return end - at;
    if (is_number(text[at])) return 1;
    while (end < text.size() && is_other(text[end])) ++end;
    return end - at;
}

}  // namespace

std::vector<std::u32string_view> split_words(std::u32string_view text) {
    std::vector<std::u32string_view> words;
    for (size_t at = 0; at < text.size();) {
        size_t length = match_at(text, at);
        if (length == 0) {
            ++at;
        } else {
            words.push_back(text.substr(at, length));
            at += length;
        }
    }
    return words;
}

}  // namespace cliprt::text
