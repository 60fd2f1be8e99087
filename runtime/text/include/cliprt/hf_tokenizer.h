// A Hugging Face tokenizer.json (the `tokenizers` library's serialization, as hub model
// directories ship it) run the way the library runs it: added / special tokens split out first,
// then normalizer, pre-tokenizer, model (WordPiece, BPE, Unigram) and post-processor, giving the
// same ids as tokenizers.Tokenizer.encode. Truncation and padding follow transformers' fast
// tokenizers (truncation=True, max_length, padding='max_length').
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cliprt {

class HfTokenizer {
public:
    // Throws Error naming the file and the field for malformed JSON, an unknown component, a
    // missing vocabulary or ids out of range.
    static std::shared_ptr<const HfTokenizer> from_file(const std::string& tokenizer_json_path);
    // `source` names the text in error messages.
    static std::shared_ptr<const HfTokenizer> from_json(const std::string& json_text, const std::string& source);
    ~HfTokenizer();

    // Tokenizer.encode(text, add_special_tokens) without truncation or padding. Throws Error on
    // invalid UTF-8.
    std::vector<int32_t> encode(const std::string& text, bool add_special_tokens = true) const;

    struct Encoding {
        std::vector<int32_t> ids;
        std::vector<int32_t> attention_mask;  // 1 for tokens, 0 for padding
    };
    // encode() cut so that, with the special tokens, at most max_length ids remain (the end of the
    // text is dropped, the post-processor's tokens kept); padded with pad_id to exactly max_length
    // when `pad`.
    Encoding encode(const std::string& text, int max_length, bool pad, int32_t pad_id) const;

    std::optional<int32_t> token_to_id(const std::string& token) const;
    // Ids the model and the added tokens use: every id encode() returns is below this.
    int32_t vocab_size() const;
    // How many special tokens the post-processor adds to one sequence.
    int num_special_tokens() const;

    struct Impl;

private:
    explicit HfTokenizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace cliprt
