// Unicode helpers of the tokenizer; character data from utf8proc, Python-specific sets from the
// generated tables.
#include "text/tokenizer_unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <vector>

#include "cliprt/error.h"
#include "text/tokenizer_tables.h"

namespace cliprt::text {
namespace {

bool in_ranges(char32_t c, const CodepointRange* ranges, size_t count) {
    const CodepointRange* end = ranges + count;
    const CodepointRange* it =
        std::upper_bound(ranges, end, c, [](char32_t v, const CodepointRange& r) { return v < r.first; });
    return it != ranges && c <= (it - 1)->last;
}

utf8proc_category_t category(char32_t c) { return utf8proc_category(static_cast<utf8proc_int32_t>(c)); }

std::u32string normalize(std::u32string_view text, utf8proc_option_t options) {
    std::string bytes = encode_utf8(text);
    const auto* data = reinterpret_cast<const utf8proc_uint8_t*>(bytes.data());
    auto size = static_cast<utf8proc_ssize_t>(bytes.size());
    // First call measures, second fills; canonical ordering happens inside utf8proc_decompose.
    utf8proc_ssize_t needed = utf8proc_decompose(data, size, nullptr, 0, options);
    if (needed < 0) fail("Unicode normalization failed: ", utf8proc_errmsg(needed));
    std::vector<utf8proc_int32_t> buffer(static_cast<size_t>(needed));
    utf8proc_decompose(data, size, buffer.data(), needed, options);
    utf8proc_ssize_t length = utf8proc_normalize_utf32(buffer.data(), needed, options);
    if (length < 0) fail("Unicode normalization failed: ", utf8proc_errmsg(length));
    return std::u32string(buffer.begin(), buffer.begin() + length);
}

// Python's final-sigma context: cased, case-ignorables, SIGMA, and no cased letter after the
// case-ignorables that follow.
bool is_final_sigma(std::u32string_view text, size_t i) {
    size_t j = i;
    while (j > 0 && in_ranges(text[j - 1], kCaseIgnorable, kCaseIgnorable_count)) --j;
    if (j == 0 || !in_ranges(text[j - 1], kCased, kCased_count)) return false;
    size_t k = i + 1;
    while (k < text.size() && in_ranges(text[k], kCaseIgnorable, kCaseIgnorable_count)) ++k;
    return k == text.size() || !in_ranges(text[k], kCased, kCased_count);
}

[[noreturn]] void invalid_utf8(std::string_view bytes, size_t at) {
    const char* digits = "0123456789ABCDEF";
    auto value = static_cast<unsigned char>(bytes[at]);
    const char hex[] = {'0', 'x', digits[value >> 4], digits[value & 15], 0};
    fail("invalid UTF-8 in text at byte ", at, " (", hex, ")");
}

}  // namespace

std::u32string decode_utf8(std::string_view bytes) {
    std::u32string out;
    out.reserve(bytes.size());
    size_t i = 0;
    while (i < bytes.size()) {
        auto b0 = static_cast<unsigned char>(bytes[i]);
        if (b0 < 0x80) {
            out.push_back(b0);
            ++i;
            continue;
        }
        int length = 0;
        char32_t c = 0, min = 0;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            length = 2, c = b0 & 0x1F, min = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            length = 3, c = b0 & 0x0F, min = 0x800;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            length = 4, c = b0 & 0x07, min = 0x10000;
        } else {
            invalid_utf8(bytes, i);
        }
        if (i + length > bytes.size()) invalid_utf8(bytes, i);
        for (int k = 1; k < length; ++k) {
            auto b = static_cast<unsigned char>(bytes[i + k]);
            if ((b & 0xC0) != 0x80) invalid_utf8(bytes, i + k);
            c = (c << 6) | (b & 0x3F);
        }
        // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
        if (c < min || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) invalid_utf8(bytes, i);
        out.push_back(c);
        i += length;
    }
    return out;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

std::string encode_utf8(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text) append_utf8(out, c);
    return out;
}

bool is_python_space(char32_t c) { return in_ranges(c, kPythonSpaces, kPythonSpaces_count); }

// The regex module's \s leaves out the information separators U+001C..U+001F that str.isspace()
// accepts (checked over all code points).
bool is_regex_space(char32_t c) { return is_python_space(c) && !(c >= 0x1C && c <= 0x1F); }

bool is_letter(char32_t c) {
    utf8proc_category_t cat = category(c);
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

bool is_number(char32_t c) {
    utf8proc_category_t cat = category(c);
    return cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO;
}

bool is_decimal(char32_t c) { return category(c) == UTF8PROC_CATEGORY_ND; }

std::u32string nfc(std::u32string_view text) {
    return normalize(text, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
}

std::u32string nfkc(std::u32string_view text) {
    return normalize(text, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT));
}

std::u32string python_lower(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char32_t c = text[i];
        if (c == 0x3A3) {
            out.push_back(is_final_sigma(text, i) ? 0x3C2 : 0x3C3);
        } else if (c == 0x130) {
            // The one unconditional multi-character lowercase mapping (SpecialCasing.txt).
            out += U"i\u0307";
        } else {
            out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
        }
    }
    return out;
}

}  // namespace cliprt::text
