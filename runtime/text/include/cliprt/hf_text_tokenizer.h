// open_clip's HFTokenizer on a Hugging Face tokenizer directory: the text cleaning named by
// tokenizer_kwargs.clean ('whitespace' by default, 'lower', 'canonicalize' as SigLIP configs ask),
// then transformers' tokenizer(texts, max_length=context_length,
// padding='max_length', truncation=True) and strip_sep_token (sep ids become 0, as open_clip 3.3 does).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cliprt/hf_tokenizer.h"
#include "cliprt/text_tokenizer.h"

namespace cliprt {

struct HfTextTokenizerOptions {
    std::string clean = "whitespace";  // empty: none (transformers' tokenizer call, without open_clip's cleaning)
    bool strip_sep_token = false;
};

// text_cfg.tokenizer_kwargs (JSON, may be empty) as open_clip reads it; throws Error naming
// `where` for options cliprt does not have.
HfTextTokenizerOptions parse_tokenizer_kwargs(const std::string& json, const std::string& where);

class HfTextTokenizer final : public TextTokenizer {
public:
    // The files of a hub directory: tokenizer.json, and tokenizer_config.json /
    // special_tokens_map.json when present (pad and sep tokens).
    static std::vector<std::string> files(const std::string& directory);
    // Throws Error naming the missing or malformed file.
    static std::shared_ptr<const HfTextTokenizer> from_directory(const std::string& directory,
                                                                 const HfTextTokenizerOptions& options);

    std::vector<int32_t> tokens(const std::string& text, int context_length) const override;
    // Fails when the tokenizer has no pad token (transformers refuses to pad then too).
    Tensor tokenize(const std::vector<std::string>& texts, int context_length) const override;
    int32_t pad_id() const override { return pad_id_; }
    int32_t vocab_size() const override { return tokenizer_->vocab_size(); }
    const HfTokenizer& tokenizer() const { return *tokenizer_; }
    bool pads_left() const { return pad_left_; }

    HfTextTokenizer(std::shared_ptr<const HfTokenizer> tokenizer, HfTextTokenizerOptions options, int32_t pad_id,
                    int32_t sep_id, bool pad_left, std::string source);

private:
    std::shared_ptr<const HfTokenizer> tokenizer_;
    HfTextTokenizerOptions options_;
    int32_t pad_id_;  // -1: none
    int32_t sep_id_;  // -1: none
    bool pad_left_;   // transformers' padding_side 'left' (open_clip 3.3 keeps it)
    std::string source_;
};

// open_clip's clean functions (tokenizer.py) by name; throws Error for an unknown name.
std::string open_clip_clean(const std::string& text, const std::string& clean);

}  // namespace cliprt
