#include "models/model_loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cliprt/error.h"
#include "cliprt/safetensors.h"
#include "cliprt/weight_source.h"
#include "models/hf_clip.h"
#include "models/hf_text_model.h"

namespace cliprt {

namespace fs = std::filesystem;

namespace {

std::shared_ptr<WeightSource> open_weights(const std::string& weights) {
    if (weights == "synthetic") return std::make_shared<SyntheticWeights>();
    if (!fs::exists(weights)) fail("weights file '", weights, "' does not exist");
    return std::make_shared<SafetensorsWeights>(
        std::vector<std::shared_ptr<SafetensorsFile>>{SafetensorsFile::open(weights)});
}

}  // namespace

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read ", path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

nlohmann::json read_json_file(const std::string& path) { return config_json::parse(read_text_file(path), path); }

std::shared_ptr<ClipModel> load_clip_model(const std::string& model, const std::string& weights) {
    ClipConfig config;
    std::string weights_path = weights;
    std::shared_ptr<WeightSource> source;
    if (fs::is_directory(model)) {
        const fs::path config_path = fs::path(model) / "open_clip_config.json";
        if (fs::exists(config_path)) {
            config = parse_model_config(read_text_file(config_path), config_path.string());
            if (weights_path.empty()) weights_path = (fs::path(model) / "open_clip_model.safetensors").string();
            // An HFTextEncoder tower's transformer config: config.json next to open_clip_config.json.
            const fs::path hf_config = fs::path(model) / "config.json";
            if (!config.text.hf_model_name.empty() && !config.text.hf) {
                if (!fs::exists(hf_config))
                    fail("model directory '", model, "' has a Hugging Face text tower ('", config.text.hf_model_name,
                         "') but no config.json: copy that model's config.json from its hub repository next to "
                         "open_clip_config.json");
                config.text.hf = parse_hf_encoder_config(read_text_file(hf_config), hf_config.string());
            }
        } else if (is_hf_text_directory(model)) {
            config = hf_text_directory_config(model);
            if (weights_path.empty()) {
                source = std::make_shared<SafetensorsWeights>(open_hf_safetensors(model));
                weights_path = source->describe();
            }
        } else if (is_hf_clip_directory(model)) {
            config = parse_hf_clip_config(read_text_file(fs::path(model) / "config.json"),
                                          (fs::path(model) / "config.json").string());
            if (weights_path.empty()) {
                source = std::make_shared<HfClipWeights>(open_hf_safetensors(model));
                weights_path = source->describe();
            }
        } else {
            fail("'", model,
                 "' is neither an open_clip model directory (open_clip_config.json) nor a transformers CLIPModel "
                 "directory (config.json with model_type clip) nor a BERT / RoBERTa / XLM-R text encoder directory "
                 "(config.json with model_type bert, roberta or xlm-roberta)");
        }
    } else if (model.size() > 5 && model.substr(model.size() - 5) == ".json") {
        config = parse_model_config(read_text_file(model), model);
    } else {
        config = builtin_model_config(model);
    }
    if (weights_path.empty()) fail("model '", model, "' needs --weights: a .safetensors file or 'synthetic'");
    if (!config.text.hf_model_name.empty() && !config.text.hf)
        fail("model '", model, "' has a Hugging Face text tower ('", config.text.hf_model_name,
             "'): give a model directory with open_clip_config.json and that model's config.json");
    auto clip = std::make_shared<ClipModel>(config, source ? source : open_weights(weights_path));
    // Building both towers once reads and checks every tensor the model needs.
    if (config.has_vision) clip->image_graph(1, false);
    clip->text_graph(1, false);
    std::vector<std::string> unused = clip->unused_weights();
    if (config.text.hf) {
        // Buffers older transformers versions saved (position_ids, token_type_ids) are not weights;
        // a transformers directory's BERT pooler is there whether or not the embedding uses it.
        const bool directory = config.text.hf_weights_prefix.empty();
        std::erase_if(unused, [directory](const std::string& name) {
            auto ends_with = [&name](const std::string& tail) {
                return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
            };
            return ends_with("embeddings.position_ids") || ends_with("embeddings.token_type_ids") ||
                   (directory && (name == "pooler.dense.weight" || name == "pooler.dense.bias"));
        });
    }
    if (!unused.empty()) {
        std::string list;
        for (size_t i = 0; i < unused.size() && i < 5; ++i) list += (i ? ", " : "") + unused[i];
        fail(weights_path, " has ", unused.size(), " tensor(s) the model '", config.name, "' does not use: ", list,
             unused.size() > 5 ? ", ..." : "");
    }
    return clip;
}

}  // namespace cliprt
