// Unicode helpers of the tokenizer: strict UTF-8 conversion, the character classes of open_clip's
// split pattern and Python's str methods, normalization and lowercasing as Python does them.
#pragma once

#include <string>
#include <string_view>

namespace cliprt::text {

// Strict UTF-8 (as Python's str.decode('utf-8')): throws Error naming the byte offset otherwise.
std::u32string decode_utf8(std::string_view bytes);
std::string encode_utf8(std::u32string_view text);
void append_utf8(std::string& out, char32_t c);

bool is_python_space(char32_t c);  // str.isspace(), used by str.split() and str.strip()
bool is_regex_space(char32_t c);   // \s of the regex module
bool is_letter(char32_t c);        // \p{L}
bool is_number(char32_t c);        // \p{N}
bool is_decimal(char32_t c);       // \d of Python's re: category Nd

std::u32string nfc(std::u32string_view text);
std::u32string nfkc(std::u32string_view text);
// str.lower(): full lowercase mapping with the final-sigma rule.
std::u32string python_lower(std::u32string_view text);

}  // namespace cliprt::text
