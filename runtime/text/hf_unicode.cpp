// Character classes of the tokenizers library from the generated tables; normalization forms and
// grapheme breaks from utf8proc.
#include "text/hf_unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <vector>

#include "cliprt/error.h"
#include "src/tokenizer_unicode.h"
#include "text/hf_unicode_tables.h"

namespace cliprt::text::hf {
namespace {

bool in_ranges(char32_t c, const CodepointRange* ranges, size_t count) {
    const CodepointRange* end = ranges + count;
    const CodepointRange* it =
        std::upper_bound(ranges, end, c, [](char32_t v, const CodepointRange& r) { return v < r.first; });
    return it != ranges && c <= (it - 1)->last;
}

}  // namespace

bool is_whitespace(char32_t c) {
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
    return in_ranges(c, kWhitespace, kWhitespace_count);
}
bool is_bert_other(char32_t c) { return in_ranges(c, kBertOther, kBertOther_count); }
bool is_punctuation(char32_t c) { return in_ranges(c, kPunctuation, kPunctuation_count); }
bool is_mark_nonspacing(char32_t c) { return c >= 0x300 && in_ranges(c, kNonspacingMark, kNonspacingMark_count); }
bool is_combining_mark(char32_t c) { return c >= 0x300 && in_ranges(c, kCombiningMark, kCombiningMark_count); }
bool is_numeric(char32_t c) {
    if (c < 0x80) return c >= '0' && c <= '9';
    return in_ranges(c, kNumeric, kNumeric_count);
}
bool is_word_char(char32_t c) {
    if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    return in_ranges(c, kWordChar, kWordChar_count);
}

bool is_chinese_char(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

void append_lowercase(std::u32string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
        return;
    }
    const LowercaseMapping* end = kLowercase + kLowercase_count;
    const LowercaseMapping* it =
        std::lower_bound(kLowercase, end, c, [](const LowercaseMapping& m, char32_t v) { return m.code_point < v; });
    if (it == end || it->code_point != c) {
        out.push_back(c);
        return;
    }
    for (char32_t l : it->lower)
        if (l) out.push_back(l);
}

std::u32string normalize(std::u32string_view text, NormalForm form) {
    int options = UTF8PROC_STABLE;
    switch (form) {
        case NormalForm::NFC:
            options |= UTF8PROC_COMPOSE;
            break;
        case NormalForm::NFD:
            options |= UTF8PROC_DECOMPOSE;
            break;
        case NormalForm::NFKC:
            options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
            break;
        case NormalForm::NFKD:
            options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
            break;
    }
    const auto opts = static_cast<utf8proc_option_t>(options);
    bool ascii = true;
    for (char32_t c : text) ascii = ascii && c < 0x80;
    if (ascii) return std::u32string(text);  // every form leaves ASCII as it is
    // utf8proc_decompose also puts combining marks in canonical order (decompose_char does not).
    const std::string bytes = encode_utf8(text);
    const auto* data = reinterpret_cast<const utf8proc_uint8_t*>(bytes.data());
    const auto size = static_cast<utf8proc_ssize_t>(bytes.size());
    const utf8proc_ssize_t needed = utf8proc_decompose(data, size, nullptr, 0, opts);
    if (needed < 0) fail("Unicode normalization failed: ", utf8proc_errmsg(needed));
    std::vector<utf8proc_int32_t> buffer(static_cast<size_t>(needed));
    utf8proc_decompose(data, size, buffer.data(), needed, opts);
    const utf8proc_ssize_t length = utf8proc_normalize_utf32(buffer.data(), needed, opts);
    if (length < 0) fail("Unicode normalization failed: ", utf8proc_errmsg(length));
    return std::u32string(buffer.begin(), buffer.begin() + length);
}

bool is_grapheme_break(char32_t previous, char32_t next, int* state) {
    auto* s = reinterpret_cast<utf8proc_int32_t*>(state);
    return utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(previous),
                                            static_cast<utf8proc_int32_t>(next), s);
}

}  // namespace cliprt::text::hf
