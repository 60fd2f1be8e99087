// The unit the pre-tokenizers work on and the library's one splitting rule
// (NormalizedString::split with a SplitDelimiterBehavior), shared by every pre-tokenizer.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace cliprt::text::hf {

// A piece of normalized text on its way to the model. `at_origin`: the piece starts at offset 0
// of the original input (what Metaspace's prepend_scheme "first" asks). `origin`: how many of its
// leading characters the library aligns to original offset 0 (the first character, and what
// normalizers put in its place); a piece split off inside them starts at the origin too.
struct Piece {
    std::u32string text;
    bool at_origin = false;
    size_t origin = 0;
};

// The origin count of the part [begin, end) of a piece whose first `origin` characters are aligned
// to offset 0.
inline size_t origin_of_part(size_t origin, size_t begin, size_t end) {
    return begin < origin ? std::min(origin, end) - begin : 0;
}

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// One part of a string: [begin, end) and whether it is a delimiter match. Parts cover the string
// in order, as Pattern::find_matches returns them.
struct SplitPart {
    size_t begin;
    size_t end;
    bool is_match;
};

// Splits `piece` into the non-empty pieces the behavior gives for these parts, appended to out.
void split_piece(const Piece& piece, const std::vector<SplitPart>& parts, SplitBehavior behavior,
                 std::vector<Piece>& out);

// Parts from a character predicate: each matching character is its own match.
template <typename Predicate>
std::vector<SplitPart> char_parts(const std::u32string& text, Predicate&& is_delimiter) {
    std::vector<SplitPart> parts;
    size_t last = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (!is_delimiter(text[i])) continue;
        if (last < i) parts.push_back({last, i, false});
        parts.push_back({i, i + 1, true});
        last = i + 1;
    }
    if (last < text.size()) parts.push_back({last, text.size(), false});
    return parts;
}

// Swaps match and non-match (the library's Invert pattern).
void invert_parts(std::vector<SplitPart>& parts);

}  // namespace cliprt::text::hf
