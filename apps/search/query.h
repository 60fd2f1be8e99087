// Search queries as rclip users write them: "2:beach" weighs a text by 2, a plain "sunset" by 1,
// --not TEXT subtracts, --image PATH adds the embedding of an example picture. Each part is
// normalized, the weighted sum is normalized again and compared by cosine with every image.
#pragma once

#include <string>
#include <vector>

namespace cliprt::search {

struct QueryTerm {
    enum class Kind { Text, Image };
    Kind kind = Kind::Text;
    float weight = 1.0f;
    std::string value;  // the text, or the image path
};

// "W:REST" with W a decimal number (e.g. 2, 0.5, -1, +1.5) gives weight W and REST; anything else
// is the whole argument with weight 1. Throws Error for an empty text.
QueryTerm parse_weighted(const std::string& arg, QueryTerm::Kind kind = QueryTerm::Kind::Text);

// The terms of one search: positional texts, --image paths (weight prefix allowed when the whole
// argument is not itself an existing file) and --not texts (weight negated). Throws Error when
// there is nothing to search for.
std::vector<QueryTerm> build_query(const std::vector<std::string>& texts, const std::vector<std::string>& images,
                                   const std::vector<std::string>& negatives);

// sum_i weight_i * e_i / |e_i|, normalized. Throws Error if a term embedding is zero or the terms
// cancel out (e.g. "beach" --not "beach").
std::vector<float> combine_query(const std::vector<QueryTerm>& terms,
                                 const std::vector<std::vector<float>>& embeddings);

}  // namespace cliprt::search
