// transformers' CLIPTokenizer (CLIPTokenizerFast's rules) for a CLIPModel directory, and the same
// rules on the built-in vocabulary (--preprocess transformers on an open_clip model).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cliprt/text_tokenizer.h"

namespace cliprt {

// transformers' CLIPTokenizerFast on an HF directory: its tokenizer.json, else vocab.json +
// merges.txt as transformers converts them (CLIPConverter: NFC, whitespace runs to one space,
// lowercase, the CLIP split pattern, byte-level BPE with "</w>", <|startoftext|> ... <|endoftext|>).
// No HTML unescaping or ftfy fixes, unlike open_clip. Pads with the pad token of
// tokenizer_config.json / special_tokens_map.json (the end token when none is named).
struct HfClipText {
    std::shared_ptr<const TextTokenizer> tokenizer;
    std::vector<std::string> files;
    std::string source;  // "tokenizer.json", "vocab.json + merges.txt" or "built-in BPE"
};
HfClipText hf_clip_tokenizer(const std::string& dir);
// CLIPTokenizerFast rules on the built-in BPE vocabulary (--preprocess transformers on an open_clip model).
HfClipText builtin_transformers_tokenizer();

// The tokenizer.json that transformers' CLIPConverter makes of a CLIP vocabulary.
std::string clip_tokenizer_json(const ClipTokenizer::VocabularyData& vocabulary, const std::string& bos,
                                const std::string& eos, const std::string& unk, const std::string& pad);

}  // namespace cliprt
