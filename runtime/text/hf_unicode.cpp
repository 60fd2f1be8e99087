// Character classes of the tokenizers library from the generated tables; normalization forms and
// grapheme breaks from utf8proc.
#include "text/hf_unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <vector>

#include "cliprt/error.h"
#include "text/hf_unicode_tables.h"
#include "text/tokenizer_unicode.h"

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

namespace {

// Characters the library's (older) normalization tables do not know are starters without a
// decomposition, whatever utf8proc's newer data says.
bool is_inert(char32_t c) { return in_ranges(c, kNormalizationInert, kNormalizationInert_count); }

int combining_class(char32_t c) {
    if (is_inert(c)) return 0;
    return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

}  // namespace

namespace {

std::vector<utf8proc_int32_t> compose(std::vector<utf8proc_int32_t> buffer) {
    const utf8proc_ssize_t length =
        utf8proc_normalize_utf32(buffer.data(), static_cast<utf8proc_ssize_t>(buffer.size()),
                                 static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (length < 0) fail("Unicode normalization failed: ", utf8proc_errmsg(length));
    buffer.resize(static_cast<size_t>(length));
    return buffer;
}

}  // namespace

std::u32string normalize(std::u32string_view text, NormalForm form, size_t& origin) {
    bool ascii = true;
    for (char32_t c : text) ascii = ascii && c < 0x80;
    if (ascii) return std::u32string(text);  // every form leaves ASCII as it is
    const bool compat = form == NormalForm::NFKC || form == NormalForm::NFKD;
    const auto decompose_options =
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0));
    // Decomposed characters, each with whether it heads the decomposition of its source.
    std::vector<std::pair<utf8proc_int32_t, bool>> chars;
    chars.reserve(text.size() + 8);
    utf8proc_int32_t buffer[32];
    for (size_t i = 0; i < text.size(); ++i) {
        const char32_t c = text[i];
        if (is_inert(c)) {
            chars.emplace_back(static_cast<utf8proc_int32_t>(c), true);
            continue;
        }
        int boundclass = 0;
        const utf8proc_ssize_t n =
            utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buffer, 32, decompose_options, &boundclass);
        if (n < 0 || n > 32) fail("Unicode normalization failed for U+", static_cast<uint32_t>(c));
        for (utf8proc_ssize_t k = 0; k < n; ++k) chars.emplace_back(buffer[k], k == 0);
    }
    // Canonical ordering: each run of non-starters sorted by combining class, stably.
    auto ccc = [](const std::pair<utf8proc_int32_t, bool>& c) {
        return combining_class(static_cast<char32_t>(c.first));
    };
    for (size_t i = 0; i < chars.size();) {
        if (ccc(chars[i]) == 0) {
            ++i;
            continue;
        }
        size_t end = i;
        while (end < chars.size() && ccc(chars[end]) != 0) ++end;
        std::stable_sort(chars.begin() + static_cast<std::ptrdiff_t>(i),
                         chars.begin() + static_cast<std::ptrdiff_t>(end),
                         [&](const auto& a, const auto& b) { return ccc(a) < ccc(b); });
        i = end;
    }
    // The library's alignments: in output order, the first character of each decomposition
    // consumes the next source character and takes its alignment; the others share the alignment
    // of the last one consumed. So reordering moves the decompositions' heads, not the alignments.
    size_t leading = 0, consumed = 0;
    bool last = true;  // before any source is consumed the alignment is (0, 0)
    for (const auto& c : chars) {
        if (c.second) last = consumed++ < origin;
        if (!last) break;
        ++leading;
    }
    std::vector<utf8proc_int32_t> decomposed;
    decomposed.reserve(chars.size());
    for (const auto& c : chars) decomposed.push_back(c.first);
    if (form == NormalForm::NFC || form == NormalForm::NFKC) {
        // A composed character takes its starter's alignment: the origin part composes on its own.
        origin = leading
                     ? compose({decomposed.begin(), decomposed.begin() + static_cast<std::ptrdiff_t>(leading)}).size()
                     : 0;
        decomposed = compose(std::move(decomposed));
    } else {
        origin = leading;
    }
    return std::u32string(decomposed.begin(), decomposed.end());
}

std::u32string normalize(std::u32string_view text, NormalForm form) {
    size_t unused = 0;
    return normalize(text, form, unused);
}

bool is_grapheme_break(char32_t previous, char32_t next, int* state) {
    auto* s = reinterpret_cast<utf8proc_int32_t*>(state);
    return utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(previous),
                                            static_cast<utf8proc_int32_t>(next), s);
}

}  // namespace cliprt::text::hf
