// open_clip's text cleaning (tokenizer.py, clean='lower') and the library functions it calls,
// each reproduced on code points.
#pragma once

#include <string>
#include <string_view>

namespace cliprt::text {

// Python's html.unescape: HTML5 named references (also the legacy ones without ';', by longest
// prefix) and numeric references with the HTML5 fix-ups.
std::u32string html_unescape(std::u32string_view text);

// ftfy.fixes.unescape_html: only references ending in ';', plus ftfy's all-caps names.
std::u32string ftfy_unescape_html(std::u32string_view text);

// ftfy.fix_text with its default configuration, except the mojibake repair (fix_encoding), which
// rests on heuristics: entities, C1 controls, Latin ligatures, character width, curly quotes,
// line breaks, terminal escapes, control characters and NFC, repeated per line until stable.
std::u32string ftfy_fix_text(std::u32string_view text);

// open_clip _clean_lower: ftfy, html.unescape twice, strip, collapse whitespace, lower().
std::u32string clean_lower(std::u32string_view text);

}  // namespace cliprt::text
