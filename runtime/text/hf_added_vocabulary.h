// The added tokens of tokenizer.json ("added_tokens": special and user tokens), found in the text
// before the model sees it, as the library's AddedVocabulary does: leftmost-longest matches,
// single_word / lstrip / rstrip, tokens with normalized=false matched in the raw text and the
// others in the normalized text.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace cliprt::text::hf {

struct AddedToken {
    std::u32string content;  // as matched: normalized when `normalized`
    int32_t id = 0;
    bool single_word = false, lstrip = false, rstrip = false, normalized = false, special = false;
};

// A part of the input: an added token (id >= 0) or text for the pipeline (id < 0).
struct Segment {
    std::u32string text;
    int32_t id = -1;
    bool at_origin = false;
    size_t origin = 0;  // as Piece::origin
};

class AddedTokenMatcher {
public:
    explicit AddedTokenMatcher(std::vector<AddedToken> tokens);
    bool empty() const { return tokens_.empty(); }
    // Splits `text` (one segment whose first `origin` characters are aligned to the input's
    // offset 0) into segments.
    void split(const std::u32string& text, size_t origin, std::vector<Segment>& out) const;

private:
    std::vector<AddedToken> tokens_;
    std::unordered_map<char32_t, std::vector<size_t>> by_first_;  // longest first
};

}  // namespace cliprt::text::hf
