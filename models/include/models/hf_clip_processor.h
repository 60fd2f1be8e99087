// What a transformers CLIPModel directory says about its inputs, read with the semantics of the
// library that is to be matched: transformers' own (CLIPImageProcessor with the Pillow backend,
// CLIPTokenizerFast) or open_clip's (its transform and SimpleTokenizer rules on the same files).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cliprt/image.h"
#include "cliprt/text_tokenizer.h"
#include "models/model_config.h"

namespace cliprt {

// "open_clip" or "transformers"; throws Error for anything else.
PreprocessSemantics parse_preprocess_semantics(const std::string& name);

// The image processor settings of an HF directory: preprocessor_config.json (or the
// "image_processor" of processor_config.json), CLIPImageProcessor's defaults where absent.
// Transformers semantics take every setting as it is; open_clip semantics map them onto open_clip's
// transform (shortest side to the crop size, or squash), refusing what it cannot express.
PreprocessConfig hf_clip_preprocess(const std::string& dir, const ClipConfig& config, PreprocessSemantics semantics);

// An open_clip transform run as transformers' image processor would run the same settings (for
// --preprocess transformers on an open_clip model): resize mode shortest with a square size only.
PreprocessConfig transformers_equivalent(const PreprocessConfig& open_clip, const std::string& model);

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

// One line per setting, for `cliprt info --model`.
std::vector<std::string> describe_preprocess_settings(const PreprocessConfig& p);

}  // namespace cliprt
