// Loading a model from what a user names on the command line.
#pragma once

#include <memory>
#include <string>

#include "cliprt/config_json.h"
#include "models/clip_model.h"

namespace cliprt {

// model:   a built-in name (ViT-B-32, RN50, ...), a model_cfg / open_clip_config.json file, or an
//          open_clip hub directory (open_clip_config.json + open_clip_model.safetensors).
// weights: "synthetic" (the deterministic generator), a .safetensors file, or empty for a directory.
// Every tensor of the checkpoint is checked: missing, extra or misshapen tensors are an Error naming them.
std::shared_ptr<ClipModel> load_clip_model(const std::string& model, const std::string& weights);

// The whole file as text; Error "cannot read PATH" when it cannot be opened.
std::string read_text_file(const std::string& path);
// The file parsed as JSON (config_json::parse: depth-bounded, errors name the file).
nlohmann::json read_json_file(const std::string& path);

}  // namespace cliprt
