// What a model's text tower needs from a tokenizer, whichever kind it is: open_clip's CLIP BPE
// (ClipTokenizer) or a Hugging Face tokenizer with open_clip's HFTokenizer semantics
// (hf_text_tokenizer.h). The embedder and `cliprt tokenize` use this interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cliprt/tensor.h"
#include "cliprt/tokenizer.h"

namespace cliprt {

class TextTokenizer {
public:
    virtual ~TextTokenizer() = default;
    // The ids of one text as the model receives them, cut to context_length, without padding.
    // Throws Error on invalid UTF-8.
    virtual std::vector<int32_t> tokens(const std::string& text, int context_length) const = 0;
    // i32 [texts.size(), context_length]: tokens() of each text, padded with pad_id().
    virtual Tensor tokenize(const std::vector<std::string>& texts, int context_length) const;
    virtual int32_t pad_id() const = 0;
    // Every id tokens() returns is below this.
    virtual int32_t vocab_size() const = 0;
};

// open_clip's SimpleTokenizer behind the interface (pad id 0).
std::shared_ptr<const TextTokenizer> clip_text_tokenizer(std::shared_ptr<const ClipTokenizer> tokenizer);
// The built-in CLIP BPE (bpe_simple_vocab_16e6).
std::shared_ptr<const TextTokenizer> builtin_clip_text_tokenizer();

}  // namespace cliprt
