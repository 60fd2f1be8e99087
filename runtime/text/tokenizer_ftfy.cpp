// ftfy.fix_text (ftfy 6.3, default TextFixerConfig) without fix_encoding: the deterministic fixers
// of ftfy/fixes.py in the order fix_and_explain applies them.
#include "text/tokenizer_clean.h"
#include "text/tokenizer_tables.h"
#include "text/tokenizer_unicode.h"

namespace cliprt::text {
namespace {

constexpr size_t kMaxSegmentLength = 1000000;  // TextFixerConfig.max_decode_length

std::u32string fix_c1_controls(std::u32string text) {
    for (char32_t& c : text) {
        if (c >= 0x80 && c <= 0x9F) c = kC1ToWindows1252[c - 0x80];
    }
    return text;
}

// chardata.LIGATURES: Latin ligatures and legacy digraphs, not ones like 'æ' used on purpose.
struct Ligature {
    char32_t c;
    const char32_t* parts;
};
constexpr Ligature kLigatures[] = {
    {0x132, U"IJ"},      {0x133, U"ij"},      {0x149, U"\u02BCn"},  {0x1F1, U"DZ"},  {0x1F2, U"Dz"},  {0x1F3, U"dz"},
    {0x1C4, U"D\u017D"}, {0x1C5, U"D\u017E"}, {0x1C6, U"d\u017E"},  {0x1C7, U"LJ"},  {0x1C8, U"Lj"},  {0x1C9, U"lj"},
    {0x1CA, U"NJ"},      {0x1CB, U"Nj"},      {0x1CC, U"nj"},       {0xFB00, U"ff"}, {0xFB01, U"fi"}, {0xFB02, U"fl"},
    {0xFB03, U"ffi"},    {0xFB04, U"ffl"},    {0xFB05, U"\u017Ft"}, {0xFB06, U"st"},
};

const char32_t* ligature(char32_t c) {
    for (const Ligature& l : kLigatures) {
        if (l.c == c) return l.parts;
    }
    return nullptr;
}

std::u32string fix_latin_ligatures(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        if (const char32_t* parts = ligature(c)) {
            out += parts;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

// chardata.WIDTH_MAP: U+3000 to a space, U+FF01..U+FFEF to their NFKC form where it differs.
std::u32string fix_character_width(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        if (c == 0x3000) {
            out.push_back(' ');
        } else if (c >= 0xFF01 && c < 0xFFF0) {
            out += nfkc(std::u32string_view(&c, 1));
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::u32string uncurl_quotes(std::u32string text) {
    for (char32_t& c : text) {
        if (c == 0x2BC || (c >= 0x2018 && c <= 0x201B)) {
            c = '\'';
        } else if (c >= 0x201C && c <= 0x201F) {
            c = '"';
        }
    }
    return text;
}

std::u32string fix_line_breaks(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char32_t c = text[i];
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CRLF -> LF
        bool is_break = c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85;
        out.push_back(is_break ? U'\n' : c);
    }
    return out;
}

// ANSI_RE: ESC '[' (decimal digit | ';')* ASCII letter.
std::u32string remove_terminal_escapes(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        if (text[i] == 0x1B && i + 1 < text.size() && text[i + 1] == '[') {
            size_t k = i + 2;
            while (k < text.size() && (is_decimal(text[k]) || text[k] == ';')) ++k;
            if (k < text.size() && ((text[k] | 0x20) >= 'a' && (text[k] | 0x20) <= 'z')) {
                i = k + 1;
                continue;
            }
        }
        out.push_back(text[i++]);
    }
    return out;
}

// chardata.CONTROL_CHARS; tabs, line breaks, C1 controls, joiners and bidi marks stay.
bool is_removed_control(char32_t c) {
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
           c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

std::u32string remove_control_chars(std::u32string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        if (!is_removed_control(c)) out.push_back(c);
    }
    return out;
}

// fix_and_explain: every fixer in turn, repeated until the text stops changing. fix_surrogates has
// nothing to do on text that came from valid UTF-8.
std::u32string fix_segment(std::u32string text, bool unescape) {
    while (true) {
        std::u32string original = text;
        if (unescape) text = ftfy_unescape_html(text);
        text = fix_c1_controls(std::move(text));
        text = fix_latin_ligatures(text);
        text = fix_character_width(text);
        text = uncurl_quotes(std::move(text));
        text = fix_line_breaks(text);
        text = remove_terminal_escapes(text);
        text = remove_control_chars(text);
        text = nfc(text);
        if (text == original) return text;
    }
}

}  // namespace

std::u32string ftfy_fix_text(std::u32string_view text) {
    // fix_text works line by line. unescape_html="auto" turns itself off for good at the first
    // line that contains '<' (text that looks like HTML is left to an HTML parser).
    std::u32string out;
    bool unescape = true;
    for (size_t pos = 0; pos < text.size();) {
        size_t newline = text.find(U'\n', pos);
        size_t end = newline == std::u32string_view::npos ? text.size() : newline + 1;
        end = std::min(end, pos + kMaxSegmentLength);
        std::u32string_view segment = text.substr(pos, end - pos);
        if (segment.find(U'<') != std::u32string_view::npos) unescape = false;
        out += fix_segment(std::u32string(segment), unescape);
        pos = end;
    }
    return out;
}

}  // namespace cliprt::text
