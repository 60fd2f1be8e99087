// Near-duplicate groups: every pair of images whose embeddings have cosine >= threshold is linked,
// and the connected components (union-find) with more than one member are the groups.
#pragma once

#include <cstddef>
#include <vector>

#include "search/vector_search.h"

namespace cliprt::search {

struct DuplicateGroup {
    std::vector<size_t> rows;  // ascending
    float min_link = 0;        // lowest cosine among the pairs that linked the group
    float max_link = 0;        // highest
    size_t links = 0;          // pairs at or above the threshold inside the group
};

// Exact all-pairs scan: O(rows^2 * dim), parallel over rows; fine for tens of thousands of images.
// Groups are ordered by size (largest first), then by their first row.
std::vector<DuplicateGroup> find_duplicates(const EmbeddingMatrix& matrix, float threshold, unsigned threads = 0);

}  // namespace cliprt::search
