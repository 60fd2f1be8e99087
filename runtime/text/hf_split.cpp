// NormalizedString::split of the tokenizers library: how each SplitDelimiterBehavior groups the
// matches, then the non-empty pieces.
#include "text/hf_split.h"

#include <algorithm>

namespace cliprt::text::hf {

void split_piece(const Piece& piece, const std::vector<SplitPart>& parts, SplitBehavior behavior,
                 std::vector<Piece>& out) {
    struct Range {
        size_t begin, end;
        bool remove;
    };
    std::vector<Range> ranges;
    ranges.reserve(parts.size());
    bool previous_match = false;
    switch (behavior) {
        case SplitBehavior::Isolated:
            for (const SplitPart& p : parts) ranges.push_back({p.begin, p.end, false});
            break;
        case SplitBehavior::Removed:
            for (const SplitPart& p : parts) ranges.push_back({p.begin, p.end, p.is_match});
            break;
        case SplitBehavior::Contiguous:
            for (const SplitPart& p : parts) {
                if (p.is_match == previous_match && !ranges.empty()) {
                    ranges.back().end = p.end;
                } else {
                    ranges.push_back({p.begin, p.end, false});
                }
                previous_match = p.is_match;
            }
            break;
        case SplitBehavior::MergedWithPrevious:
            for (const SplitPart& p : parts) {
                if (p.is_match && !previous_match && !ranges.empty()) {
                    ranges.back().end = p.end;
                } else {
                    ranges.push_back({p.begin, p.end, false});
                }
                previous_match = p.is_match;
            }
            break;
        case SplitBehavior::MergedWithNext:
            // The library folds from the end: a match joins the part after it.
            for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
                if (it->is_match && !previous_match && !ranges.empty()) {
                    ranges.back().begin = it->begin;
                } else {
                    ranges.push_back({it->begin, it->end, false});
                }
                previous_match = it->is_match;
            }
            std::reverse(ranges.begin(), ranges.end());
            break;
    }
    for (const Range& r : ranges) {
        if (r.remove || r.begin == r.end) continue;
        out.push_back({piece.text.substr(r.begin, r.end - r.begin), r.begin < piece.origin,
                       origin_of_part(piece.origin, r.begin, r.end)});
    }
}

void invert_parts(std::vector<SplitPart>& parts) {
    for (SplitPart& p : parts) p.is_match = !p.is_match;
}

}  // namespace cliprt::text::hf
