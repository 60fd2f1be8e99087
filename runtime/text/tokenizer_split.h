// open_clip's split pattern, applied to cleaned text:
//   <start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (regex module, IGNORECASE). Characters no alternative matches are dropped.
#pragma once

#include <string_view>
#include <vector>

namespace cliprt::text {

inline constexpr std::u32string_view kStartOfText = U"<start_of_text>";
inline constexpr std::u32string_view kEndOfText = U"<end_of_text>";

std::vector<std::u32string_view> split_words(std::u32string_view text);

}  // namespace cliprt::text
