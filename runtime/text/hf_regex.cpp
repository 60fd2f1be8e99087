// PCRE2 (32-bit code units, so the offsets are characters) behind the Split / Replace / ByteLevel
// patterns of tokenizer.json.
#define PCRE2_CODE_UNIT_WIDTH 32
#include "text/hf_regex.h"

#include <pcre2.h>

#include "cliprt/error.h"
#include "text/tokenizer_unicode.h"

namespace cliprt::text::hf {

namespace {

// Oniguruma's \s is Unicode White_Space and its \w is Letter | Mark | Nd | Pc; PCRE2's UCP classes
// differ (\s adds U+180E and others, \w leaves out marks and adds Nl / No). Spell them out.
constexpr const char32_t* kSpaceClass =
    U"\\t\\n\\x0B\\f\\r\\x20\\x85\\xA0\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
constexpr const char32_t* kWordClass = U"\\p{L}\\p{M}\\p{Nd}\\p{Pc}";

std::u32string oniguruma_classes(const std::u32string& pattern) {
    std::u32string out;
    bool in_class = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char32_t c = pattern[i];
        if (c == U'\\' && i + 1 < pattern.size()) {
            const char32_t e = pattern[i + 1];
            const char32_t* expansion = e == U's' || e == U'S'   ? kSpaceClass
                                        : e == U'w' || e == U'W' ? kWordClass
                                                                 : nullptr;
            const bool negated = e == U'S' || e == U'W';
            if (expansion && in_class && !negated) {
                out += expansion;
            } else if (expansion && !in_class) {
                out += negated ? U"[^" : U"[";
                out += expansion;
                out += U"]";
            } else {  // other escapes, and \S / \W inside a class, stay as they are
                out.push_back(c);
                out.push_back(e);
            }
            ++i;
            continue;
        }
        if (c == U'[' && !in_class) {
            in_class = true;
            out.push_back(c);
            // A ']' right after '[' or '[^' is a literal.
            if (i + 1 < pattern.size() && pattern[i + 1] == U'^') out.push_back(pattern[++i]);
            if (i + 1 < pattern.size() && pattern[i + 1] == U']') out.push_back(pattern[++i]);
            continue;
        }
        if (c == U']' && in_class) in_class = false;
        out.push_back(c);
    }
    return out;
}

}  // namespace

struct Regex::Impl {
    pcre2_code* code = nullptr;
    ~Impl() { pcre2_code_free(code); }
};

Regex::Regex(const std::string& pattern_utf8, const std::string& where) : impl_(std::make_unique<Impl>()) {
    const std::u32string pattern = oniguruma_classes(decode_utf8(pattern_utf8));
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP,
                                &error, &error_offset, nullptr);
    if (!impl_->code) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(error, message, 256);
        std::string text;
        for (PCRE2_UCHAR* p = message; *p; ++p) append_utf8(text, static_cast<char32_t>(*p));
        fail(where, ": invalid regex '", pattern_utf8, "' at character ", error_offset, ": ", text);
    }
    pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE);  // a speed-up only; matching works without it
}

Regex::~Regex() = default;

std::vector<std::pair<size_t, size_t>> Regex::find_all(const std::u32string& text) const {
    std::vector<std::pair<size_t, size_t>> matches;
    pcre2_match_data* data = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t start = 0;
    while (start <= text.size()) {
        const int rc = pcre2_match(impl_->code, subject, text.size(), start, 0, data, nullptr);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            pcre2_match_data_free(data);
            fail("regex matching failed (PCRE2 error ", rc, ")");
        }
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
        const size_t begin = ovector[0], end = ovector[1];
        matches.emplace_back(begin, end);
        // An empty match moves on by one character, as find_iter does.
        start = end > begin ? end : end + 1;
    }
    pcre2_match_data_free(data);
    return matches;
}

std::vector<SplitPart> Regex::parts(const std::u32string& text) const {
    std::vector<SplitPart> parts;
    if (text.empty()) return {{0, 0, false}};
    size_t previous = 0;
    for (const auto& [begin, end] : find_all(text)) {
        if (previous != begin) parts.push_back({previous, begin, false});
        parts.push_back({begin, end, true});
        previous = end;
    }
    if (previous != text.size()) parts.push_back({previous, text.size(), false});
    return parts;
}

std::vector<SplitPart> literal_parts(const std::u32string& text, const std::u32string& literal) {
    if (literal.empty()) return {{0, text.size(), false}};
    std::vector<SplitPart> parts;
    size_t previous = 0, at = text.find(literal);
    while (at != std::u32string::npos) {
        if (previous != at) parts.push_back({previous, at, false});
        parts.push_back({at, at + literal.size(), true});
        previous = at + literal.size();
        at = text.find(literal, previous);
    }
    if (previous != text.size()) parts.push_back({previous, text.size(), false});
    return parts;
}

}  // namespace cliprt::text::hf
