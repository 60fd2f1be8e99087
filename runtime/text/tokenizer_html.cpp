// HTML character references the way Python's html.unescape and ftfy's unescape_html decode them;
// both scan like their regular expressions do (leftmost match, then continue after it).
#include <algorithm>
#include <cstring>

#include "text/tokenizer_clean.h"
#include "text/tokenizer_tables.h"
#include "text/tokenizer_unicode.h"

namespace cliprt::text {
namespace {

const char* find_entity(const EntityEntry* table, size_t count, const std::string& name) {
    const EntityEntry* end = table + count;
    const EntityEntry* it = std::lower_bound(table, end, name, [](const EntityEntry& e, const std::string& key) {
        return std::strcmp(e.name, key.c_str()) < 0;
    });
    return it != end && name == it->name ? it->value : nullptr;
}

const char* find_html5(std::u32string_view name) {
    return find_entity(kHtml5Entities, kHtml5Entities_count, encode_utf8(name));
}

bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_ascii_hex(char32_t c) { return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_ascii_alnum(char32_t c) { return is_ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The character a numeric reference stands for, with html's fix-ups; digits may be arbitrarily
// many, so the value saturates just past U+10FFFF.
std::u32string numeric_reference(std::u32string_view digits, int base) {
    uint32_t num = 0;
    for (char32_t d : digits) {
        uint32_t v = is_ascii_digit(d) ? d - '0' : (d | 0x20) - 'a' + 10;
        num = std::min<uint32_t>(num * base + v, 0x110000);
    }
    for (size_t i = 0; i < kInvalidCharrefs_count; ++i) {
        if (kInvalidCharrefs[i].codepoint == num) return decode_utf8(kInvalidCharrefs[i].value);
    }
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return U"\uFFFD";
    for (size_t i = 0; i < kInvalidCodepoints_count; ++i) {
        if (num >= kInvalidCodepoints[i].first && num <= kInvalidCodepoints[i].last) return U"";
    }
    return std::u32string(1, static_cast<char32_t>(num));
}

// A named reference: the whole name, else its longest known prefix (the legacy names such as
// "amp" that HTML accepts without ';'), else unchanged.
std::u32string named_reference(std::u32string_view name) {
    if (const char* value = find_html5(name)) return decode_utf8(value);
    for (size_t x = name.size() - 1; x >= 2; --x) {
        if (const char* value = find_html5(name.substr(0, x))) {
            std::u32string out = decode_utf8(value);
            out += name.substr(x);
            return out;
        }
    }
    std::u32string out = U"&";
    out += name;
    return out;
}

bool excluded_from_name(char32_t c) {
    return c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';';
}

// Matches html's pattern &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?) at text[at] == '&';
// returns the match length (0 for none) and writes the replacement.
size_t match_html_reference(std::u32string_view text, size_t at, std::u32string& replacement) {
    size_t n = text.size(), j = at + 1;
    auto optional_semicolon = [&](size_t end) { return end < n && text[end] == ';' ? end + 1 : end; };
    if (j < n && text[j] == '#') {
        size_t k = j + 1;
        while (k < n && is_ascii_digit(text[k])) ++k;
        if (k > j + 1) {
            replacement = numeric_reference(text.substr(j + 1, k - j - 1), 10);
            return optional_semicolon(k) - at;
        }
        if (j + 1 < n && (text[j + 1] == 'x' || text[j + 1] == 'X')) {
            k = j + 2;
            while (k < n && is_ascii_hex(text[k])) ++k;
            if (k > j + 2) {
                replacement = numeric_reference(text.substr(j + 2, k - j - 2), 16);
                return optional_semicolon(k) - at;
            }
        }
        return 0;
    }
    size_t k = j;
    while (k < n && k - j < 32 && !excluded_from_name(text[k])) ++k;
    if (k == j) return 0;
    size_t end = optional_semicolon(k);
    replacement = named_reference(text.substr(j, end - j));
    return end - at;
}

// Matches ftfy's pattern &#?[0-9A-Za-z]{1,24}; at text[at] == '&'; returns the match length or 0.
size_t match_ftfy_entity(std::u32string_view text, size_t at) {
    size_t n = text.size(), j = at + 1;
    if (j < n && text[j] == '#') ++j;
    size_t k = j;
    while (k < n && is_ascii_alnum(text[k])) ++k;
    if (k == j || k - j > 24 || k >= n || text[k] != ';') return 0;
    return k + 1 - at;
}

std::u32string ftfy_entity_replacement(std::u32string_view entity) {
    std::string name = encode_utf8(entity.substr(1));
    if (const char* value = find_entity(kHtml5Entities, kHtml5Entities_count, name)) return decode_utf8(value);
    if (const char* value = find_entity(kFtfyUpperEntities, kFtfyUpperEntities_count, name)) {
        return decode_utf8(value);
    }
    if (entity.size() > 1 && entity[1] == '#') {
        // A numeric reference counts only if html.unescape consumed it whole, semicolon included.
        std::u32string decoded = html_unescape(entity);
        if (decoded.find(U';') == std::u32string::npos) return decoded;
    }
    return std::u32string(entity);
}

}  // namespace

std::u32string html_unescape(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        std::u32string replacement;
        size_t length = text[i] == '&' ? match_html_reference(text, i, replacement) : 0;
        if (length == 0) {
            out.push_back(text[i++]);
        } else {
            out += replacement;
            i += length;
        }
    }
    return out;
}

std::u32string ftfy_unescape_html(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        size_t length = text[i] == '&' ? match_ftfy_entity(text, i) : 0;
        if (length == 0) {
            out.push_back(text[i++]);
        } else {
            out += ftfy_entity_replacement(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

}  // namespace cliprt::text
