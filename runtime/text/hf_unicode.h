// Character classes of the Hugging Face `tokenizers` library (Rust) as its components see them:
// the unicode_categories crate's tables (BertNormalizer, BertPreTokenizer, Punctuation), Rust's
// char::to_lowercase, char::is_numeric, char::is_whitespace and the regex crate's \w. The tables
// are dumped from the library itself (tools/make_hf_unicode_tables.py), so they carry its Unicode
// version; normalization forms and grapheme clusters come from utf8proc.
#pragma once

#include <string>
#include <string_view>

namespace cliprt::text::hf {

bool is_whitespace(char32_t c);       // char::is_whitespace (White_Space)
bool is_bert_other(char32_t c);       // unicode_categories is_other (Cc Cf Cn Co Cs), \t \n \r excluded
bool is_punctuation(char32_t c);      // is_ascii_punctuation || unicode_categories is_punctuation
bool is_mark_nonspacing(char32_t c);  // unicode_categories is_mark_nonspacing (Mn)
bool is_combining_mark(char32_t c);   // unicode_normalization is_combining_mark (M)
bool is_numeric(char32_t c);          // char::is_numeric (N)
bool is_word_char(char32_t c);        // \w of the regex crate
bool is_chinese_char(char32_t c);     // BertNormalizer's CJK blocks

// char::to_lowercase of each character (no final-sigma rule: the library maps per character).
void append_lowercase(std::u32string& out, char32_t c);

enum class NormalForm { NFC, NFD, NFKC, NFKD };
std::u32string normalize(std::u32string_view text, NormalForm form);
// The same, moving `origin` (how many leading characters are aligned to the input's offset 0):
// decomposed characters share their source's alignment, a composed one takes its starter's.
std::u32string normalize(std::u32string_view text, NormalForm form, size_t& origin);

// Extended grapheme clusters (unicode_segmentation's graphemes(true)): calls f(begin, end).
template <typename F>
void for_each_grapheme(std::u32string_view text, F&& f);

bool is_grapheme_break(char32_t previous, char32_t next, int* state);

template <typename F>
void for_each_grapheme(std::u32string_view text, F&& f) {
    size_t begin = 0;
    int state = 0;
    for (size_t i = 1; i <= text.size(); ++i) {
        if (i == text.size() || is_grapheme_break(text[i - 1], text[i], &state)) {
            f(begin, i);
            begin = i;
        }
    }
}

}  // namespace cliprt::text::hf
