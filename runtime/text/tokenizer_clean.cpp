// open_clip tokenizer.py _clean_lower: whitespace_clean(basic_clean(text)).lower().
#include "text/tokenizer_clean.h"

#include "text/tokenizer_unicode.h"

namespace cliprt::text {
namespace {

// " ".join(text.split()): runs of str.isspace() characters become one space, ends trimmed
// (which also covers basic_clean's strip()).
std::u32string collapse_whitespace(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    bool pending_space = false;
    for (char32_t c : text) {
        if (is_python_space(c)) {
            pending_space = !out.empty();
        } else {
            if (pending_space) out.push_back(' ');
            pending_space = false;
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

std::u32string clean_lower(std::u32string_view text) {
    std::u32string fixed = ftfy_fix_text(text);
    std::u32string unescaped = html_unescape(html_unescape(fixed));
    return python_lower(collapse_whitespace(unescaped));
}

}  // namespace cliprt::text
