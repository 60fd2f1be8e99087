// open_clip's text cleaning functions (tokenizer.py get_clean_fn): basic_clean (ftfy, html.unescape
// twice, strip) followed by whitespace_clean, lower() or canonicalize_text, as open_clip 3.3 has them.
#include <string_view>

#include "cliprt/error.h"
#include "cliprt/hf_text_tokenizer.h"
#include "text/tokenizer_clean.h"
#include "text/tokenizer_unicode.h"

namespace cliprt {
namespace {

// " ".join(text.split()): runs of str.isspace() characters become one space, ends trimmed.
std::u32string whitespace_clean(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    bool pending_space = false;
    for (char32_t c : text) {
        if (text::is_python_space(c)) {
            pending_space = !out.empty();
        } else {
            if (pending_space) out.push_back(U' ');
            pending_space = false;
            out.push_back(c);
        }
    }
    return out;
}

std::u32string basic_clean(std::u32string_view text) {
    // strip() is left to whitespace_clean, which every caller applies last.
    return text::html_unescape(text::html_unescape(text::ftfy_fix_text(text)));
}

bool is_ascii_punctuation(char32_t c) {  // Python's string.punctuation
    return c < 0x80 &&
           ((c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~'));
}

}  // namespace

std::string open_clip_clean(const std::string& text, const std::string& clean) {
    const std::u32string input = text::decode_utf8(text);
    std::u32string out;
    if (clean == "whitespace") {
        out = whitespace_clean(basic_clean(input));
    } else if (clean == "lower") {
        out = text::python_lower(whitespace_clean(basic_clean(input)));
    } else if (clean == "canonicalize") {
        // big_vision's canonicalize_text: '_' to ' ', string.punctuation removed, lower(), whitespace.
        std::u32string t;
        for (char32_t c : basic_clean(input)) {
            if (c == U'_') {
                t.push_back(U' ');
            } else if (!is_ascii_punctuation(c)) {
                t.push_back(c);
            }
        }
        out = whitespace_clean(text::python_lower(t));
    } else {
        fail("unknown open_clip clean function '", clean, "' (canonicalize, lower, whitespace)");
    }
    return text::encode_utf8(out);
}

}  // namespace cliprt
