// Hugging Face transformers CLIPModel checkpoints (config.json + model.safetensors, or a sharded
// model.safetensors.index.json), mapped onto the open_clip names the builders use: q/k/v
// projections concatenated into in_proj, pre_layrnorm -> ln_pre, fc1/fc2 -> c_fc/c_proj, and the
// [embed, width] projections transposed to open_clip's [width, embed].
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cliprt/weight_source.h"
#include "models/model_config.h"

namespace cliprt {

class SafetensorsFile;

bool is_hf_clip_directory(const std::string& dir);
// Parses a transformers CLIPConfig (config.json of a CLIPModel); `source` names it in errors.
ClipConfig parse_hf_clip_config(const std::string& json_text, const std::string& source);
// The safetensors files of a model directory: model.safetensors or the shards of model.safetensors.index.json.
std::vector<std::shared_ptr<SafetensorsFile>> open_hf_safetensors(const std::string& dir);

class HfClipWeights : public WeightSource {
public:
    explicit HfClipWeights(std::vector<std::shared_ptr<SafetensorsFile>> files);
    bool has(const std::string& name) const override { return sources_.count(name) != 0; }
    std::string describe() const override { return description_; }

protected:
    std::vector<std::string> all_names() const override;
    Tensor load(const std::string& name, const Shape& expected) override;

private:
    enum class Transform { Copy, Transpose, ConcatRows };
    struct Source {
        Transform transform = Transform::Copy;
        std::vector<std::string> hf_names;  // q, k, v for ConcatRows
    };
    std::vector<std::shared_ptr<SafetensorsFile>> files_;
    std::map<std::string, Source> sources_;  // open_clip name -> HF tensors
    std::vector<std::string> unmapped_;      // HF tensors with no open_clip counterpart
    std::map<std::string, const SafetensorsFile*> file_of_;
    std::string description_;
};

}  // namespace cliprt
