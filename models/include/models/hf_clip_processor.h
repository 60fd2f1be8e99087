// What a transformers CLIPModel directory says about its images, read with the semantics of the
// library that is to be matched: transformers' own (CLIPImageProcessor with the Pillow backend) or
// open_clip's (its transform on the same settings). The tokenizer: hf_clip_tokenizer.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cliprt/image.h"
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

// One line per setting, for `cliprt info --model`.
std::vector<std::string> describe_preprocess_settings(const PreprocessConfig& p);

}  // namespace cliprt
