#include "models/hf_clip.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>

#include "cliprt/error.h"
#include "cliprt/safetensors.h"
#include "models/model_weights.h"

namespace cliprt {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json read_json_file(const fs::path& path) {
    std::ifstream in(path);
    if (!in) fail("cannot read ", path.string());
    try {
        return json::parse(in);
    } catch (const json::exception& e) {
        fail(path.string(), ": invalid JSON: ", e.what());
    }
}

Activation hf_activation(const std::string& name, const std::string& where) {
    if (name == "quick_gelu") return Activation::QuickGelu;
    if (name == "gelu") return Activation::Gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::GeluTanh;
    fail(where, ": hidden_act '", name, "' is not supported (quick_gelu, gelu, gelu_new, gelu_pytorch_tanh)");
}

template <typename T>
T required(const json& j, const char* key, const std::string& where) {
    if (!j.contains(key) || j[key].is_null()) fail(where, ": missing '", key, "'");
    try {
        return j[key].get<T>();
    } catch (const json::exception&) {
        fail(where, ": '", key, "' has the wrong type (", j[key].dump(), ")");
    }
}

// The open_clip name of an HF tensor, with the part it contributes (0..2 of a q/k/v concat, -1 whole).
struct Mapped {
    std::string name;
    int part = -1;
    bool transpose = false;
};

std::optional<Mapped> map_hf_name(const std::string& hf) {
    static const std::vector<std::pair<std::string, std::string>> renames = {
        {"vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"},
        {"vision_model.embeddings.class_embedding", "visual.class_embedding"},
        {"vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"},
        {"vision_model.pre_layrnorm.", "visual.ln_pre."},
        {"vision_model.post_layernorm.", "visual.ln_post."},
        {"vision_model.encoder.layers.", "visual.transformer.resblocks."},
        {"text_model.embeddings.token_embedding.weight", "token_embedding.weight"},
        {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
        {"text_model.encoder.layers.", "transformer.resblocks."},
        {"text_model.final_layer_norm.", "ln_final."},
        {"logit_scale", "logit_scale"},
    };
    if (hf == "visual_projection.weight") return Mapped{"visual.proj", -1, true};
    if (hf == "text_projection.weight") return Mapped{"text_projection", -1, true};
    for (const auto& [from, to] : renames) {
        if (hf.rfind(from, 0) != 0) continue;
        std::string rest = hf.substr(from.size());
        if (from.find("layers.") == std::string::npos) return Mapped{to + rest};
        // Inside a layer: "<i>.<hf part>" -> "<i>.<open_clip part>".
        static const std::regex layer(R"((\d+)\.(self_attn\.([qkv])_proj|self_attn\.out_proj|layer_norm1|layer_norm2|mlp\.fc1|mlp\.fc2)\.(weight|bias))");
        std::smatch m;
        if (!std::regex_match(rest, m, layer)) return std::nullopt;
        const std::string index = m[1], module = m[2], kind = m[4];
        std::string prefix = to + index + ".";
        if (m[3].matched) {
            const int part = m[3] == "q" ? 0 : m[3] == "k" ? 1 : 2;
            return Mapped{prefix + "attn.in_proj_" + kind, part};
        }
        static const std::map<std::string, std::string> modules = {{"self_attn.out_proj", "attn.out_proj"},
                                                                    {"layer_norm1", "ln_1"},
                                                                    {"layer_norm2", "ln_2"},
                                                                    {"mlp.fc1", "mlp.c_fc"},
                                                                    {"mlp.fc2", "mlp.c_proj"}};
        return Mapped{prefix + modules.at(module) + "." + kind};
    }
    return std::nullopt;
}

}  // namespace

bool is_hf_clip_directory(const std::string& dir) {
    const fs::path config = fs::path(dir) / "config.json";
    if (!fs::exists(config)) return false;
    const json j = read_json_file(config);
    return j.is_object() && j.value("model_type", "") == "clip";
}

ClipConfig parse_hf_clip_config(const std::string& json_text, const std::string& source) {
    json j;
    try {
        j = json::parse(json_text);
    } catch (const json::exception& e) {
        fail(source, ": invalid JSON: ", e.what());
    }
    if (!j.is_object() || j.value("model_type", "") != "clip")
        fail(source, ": not a transformers CLIPModel config (model_type must be \"clip\")");
    ClipConfig c;
    c.name = source;
    c.embed_dim = required<int>(j, "projection_dim", source);
    const json& v = j.at("vision_config");
    const json& t = j.at("text_config");
    const std::string vw = source + " vision_config", tw = source + " text_config";

    VisionConfig& vc = c.vision;
    vc.width = required<int>(v, "hidden_size", vw);
    vc.layers = required<int>(v, "num_hidden_layers", vw);
    const int vheads = required<int>(v, "num_attention_heads", vw);
    if (vheads <= 0 || vc.width % vheads != 0) fail(vw, ": hidden_size is not a multiple of num_attention_heads");
    vc.head_width = vc.width / vheads;
    vc.mlp_ratio = static_cast<double>(required<int>(v, "intermediate_size", vw)) / vc.width;
    vc.patch_size = required<int>(v, "patch_size", vw);
    vc.image_size = vc.image_width = required<int>(v, "image_size", vw);
    if (v.value("num_channels", 3) != 3) fail(vw, ": num_channels must be 3");
    vc.block.act = hf_activation(v.value("hidden_act", "quick_gelu"), vw);
    vc.block.ln_eps = v.value("layer_norm_eps", 1e-5f);
    if (vc.image_size % vc.patch_size != 0) fail(vw, ": image_size is not a multiple of patch_size");

    TextConfig& tc = c.text;
    tc.width = required<int>(t, "hidden_size", tw);
    tc.layers = required<int>(t, "num_hidden_layers", tw);
    tc.heads = required<int>(t, "num_attention_heads", tw);
    if (tc.heads <= 0 || tc.width % tc.heads != 0) fail(tw, ": hidden_size is not a multiple of num_attention_heads");
    tc.mlp_ratio = static_cast<double>(required<int>(t, "intermediate_size", tw)) / tc.width;
    tc.vocab_size = required<int>(t, "vocab_size", tw);
    tc.context_length = required<int>(t, "max_position_embeddings", tw);
    tc.block.act = hf_activation(t.value("hidden_act", "quick_gelu"), tw);
    tc.block.ln_eps = t.value("layer_norm_eps", 1e-5f);
    // transformers pools the argmax id when eos_token_id is the legacy 2, else the first eos position.
    const int eos = t.value("eos_token_id", 2);
    if (eos == 2) {
        tc.pool_type = "argmax";
    } else {
        tc.pool_type = "eos";
        tc.eos_id = eos;
    }
    return c;
}

std::vector<std::shared_ptr<SafetensorsFile>> open_hf_safetensors(const std::string& dir) {
    const fs::path single = fs::path(dir) / "model.safetensors";
    const fs::path index = fs::path(dir) / "model.safetensors.index.json";
    if (fs::exists(single)) return {SafetensorsFile::open(single.string())};
    if (fs::exists(index)) {
        const json j = read_json_file(index);
        if (!j.contains("weight_map") || !j["weight_map"].is_object()) fail(index.string(), ": no weight_map");
        std::vector<std::string> shards;
        for (const auto& file : j["weight_map"]) {
            const std::string name = file.get<std::string>();
            if (name.find('/') != std::string::npos || name.find("..") != std::string::npos)
                fail(index.string(), ": shard name '", name, "' must be a file in the model directory");
            if (std::find(shards.begin(), shards.end(), name) == shards.end()) shards.push_back(name);
        }
        std::vector<std::shared_ptr<SafetensorsFile>> files;
        for (const std::string& shard : shards) files.push_back(SafetensorsFile::open((fs::path(dir) / shard).string()));
        return files;
    }
    if (fs::exists(fs::path(dir) / "pytorch_model.bin"))
        fail(dir, " holds only pytorch_model.bin; cliprt reads safetensors checkpoints (model.safetensors)");
    fail(dir, " has no model.safetensors or model.safetensors.index.json");
}

HfClipWeights::HfClipWeights(std::vector<std::shared_ptr<SafetensorsFile>> files) : files_(std::move(files)) {
    for (const auto& file : files_) {
        description_ += (description_.empty() ? "" : ", ") + file->path();
        for (const std::string& hf : file->names()) {
            file_of_[hf] = file.get();
            const auto mapped = map_hf_name(hf);
            if (!mapped) {
                unmapped_.push_back(hf);
                continue;
            }
            Source& source = sources_[mapped->name];
            if (mapped->part >= 0) {
                source.transform = Transform::ConcatRows;
                source.hf_names.resize(3);
                source.hf_names[static_cast<size_t>(mapped->part)] = hf;
            } else {
                source.transform = mapped->transpose ? Transform::Transpose : Transform::Copy;
                source.hf_names = {hf};
            }
        }
    }
}

std::vector<std::string> HfClipWeights::all_names() const {
    std::vector<std::string> names = unmapped_;
    for (const auto& [name, source] : sources_) names.push_back(name);
    return names;
}

Tensor HfClipWeights::load(const std::string& name, const Shape& expected) {
    const Source& source = sources_.at(name);
    std::vector<Tensor> parts;
    for (const std::string& hf : source.hf_names) {
        if (hf.empty()) fail("tensor '", name, "' needs q, k and v projections; one is missing from ", describe());
        parts.push_back(file_of_.at(hf)->read(hf).to_f32());
    }
    switch (source.transform) {
        case Transform::Copy: return std::move(parts[0]);
        case Transform::Transpose:
            if (parts[0].shape().rank() != 2) fail("tensor '", source.hf_names[0], "' in ", describe(), " is not a matrix");
            return transpose_2d(parts[0]);
        case Transform::ConcatRows: {
            Shape shape = parts[0].shape();
            for (const Tensor& p : parts) {
                if (p.shape() != parts[0].shape())
                    fail("q/k/v projections of '", name, "' in ", describe(), " differ in shape");
            }
            shape[0] *= 3;
            if (shape != expected) return parts[0];  // let the caller report the shape mismatch
            Tensor out(shape, DType::F32);
            const size_t bytes = parts[0].nbytes();
            for (size_t i = 0; i < 3; ++i) std::memcpy(static_cast<char*>(out.data()) + i * bytes, parts[i].data(), bytes);
            return out;
        }
    }
    return Tensor();
}

}  // namespace cliprt
