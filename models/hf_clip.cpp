#include "models/hf_clip.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cliprt/config_json.h"
#include "cliprt/error.h"
#include "cliprt/safetensors.h"
#include "models/config_bounds.h"
#include "models/model_loader.h"
#include "models/model_weights.h"

namespace cliprt {

namespace fs = std::filesystem;
using nlohmann::json;
namespace cj = config_json;

namespace {

bool is_clip_model_type(const json& j) {
    const json* type = j.is_object() ? cj::member(j, "model_type") : nullptr;
    return type && type->is_string() && *type == "clip";
}

Activation hf_activation(const std::string& name, const std::string& where) {
    if (name == "quick_gelu") return Activation::QuickGelu;
    if (name == "gelu") return Activation::Gelu;
    if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::GeluTanh;
    fail(where, ": hidden_act ", cj::describe(name),
         " is not supported (quick_gelu, gelu, gelu_new, gelu_pytorch_tanh)");
}

const json& required(const json& j, const char* key, const std::string& where) {
    const json* v = cj::member(j, key);
    if (!v) fail(where, ": missing '", key, "'");
    return *v;
}

int required_int(const json& j, const char* key, const std::string& where, int min, int max) {
    return cj::to_int(required(j, key, where), where, key, min, max);
}

const json& required_object(const json& j, const char* key, const std::string& where) {
    const json& v = required(j, key, where);
    if (!v.is_object()) fail(where, ": '", key, "' must be an object, not ", cj::describe(v));
    return v;
}

std::string optional_string(const json& j, const char* key, const std::string& where, const std::string& fallback) {
    const json* v = cj::member(j, key);
    return v ? cj::string(*v, where, key) : fallback;
}

using namespace config_bounds;

// "<digits>." at the start of `text`: the layer index (digits only, any length) and the rest.
bool split_layer_index(const std::string& text, std::string& index, std::string& rest) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0 || digits > 9 || digits >= text.size() || text[digits] != '.') return false;
    index = text.substr(0, digits);
    rest = text.substr(digits + 1);
    return true;
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
        // Inside a layer: "<i>.<hf module>.<weight|bias>" -> "<i>.<open_clip module>.<weight|bias>"
        // (plain string matching: tensor names are untrusted, and std::regex recurses per character).
        std::string index, module_and_kind;
        if (!split_layer_index(rest, index, module_and_kind)) return std::nullopt;
        std::string kind;
        for (const char* k : {".weight", ".bias"}) {
            const std::string suffix = k;
            if (module_and_kind.size() > suffix.size() &&
                module_and_kind.compare(module_and_kind.size() - suffix.size(), suffix.size(), suffix) == 0) {
                kind = suffix.substr(1);
            }
        }
        if (kind.empty()) return std::nullopt;
        const std::string module = module_and_kind.substr(0, module_and_kind.size() - kind.size() - 1);
        const std::string prefix = to + index + ".";
        for (const auto& [qkv, part] :
             {std::pair{"self_attn.q_proj", 0}, {"self_attn.k_proj", 1}, {"self_attn.v_proj", 2}}) {
            if (module == qkv) return Mapped{prefix + "attn.in_proj_" + kind, part};
        }
        static const std::map<std::string, std::string> modules = {{"self_attn.out_proj", "attn.out_proj"},
                                                                   {"layer_norm1", "ln_1"},
                                                                   {"layer_norm2", "ln_2"},
                                                                   {"mlp.fc1", "mlp.c_fc"},
                                                                   {"mlp.fc2", "mlp.c_proj"}};
        const auto it = modules.find(module);
        if (it == modules.end()) return std::nullopt;
        return Mapped{prefix + it->second + "." + kind};
    }
    return std::nullopt;
}

}  // namespace

bool is_hf_clip_directory(const std::string& dir) {
    const fs::path config = fs::path(dir) / "config.json";
    if (!fs::exists(config)) return false;
    return is_clip_model_type(read_json_file(config.string()));
}

ClipConfig parse_hf_clip_config(const std::string& json_text, const std::string& source) {
    const json j = cj::parse(json_text, source);
    if (!is_clip_model_type(j)) fail(source, ": not a transformers CLIPModel config (model_type must be \"clip\")");
    ClipConfig c;
    c.name = source;
    c.embed_dim = required_int(j, "projection_dim", source, 1, kMaxWidth);
    const json& v = required_object(j, "vision_config", source);
    const json& t = required_object(j, "text_config", source);
    const std::string vw = source + " vision_config", tw = source + " text_config";

    VisionConfig& vc = c.vision;
    vc.width = required_int(v, "hidden_size", vw, 1, kMaxWidth);
    vc.layers = required_int(v, "num_hidden_layers", vw, 1, kMaxLayers);
    const int vheads = required_int(v, "num_attention_heads", vw, 1, kMaxHeads);
    if (vc.width % vheads != 0)
        fail(vw, ": hidden_size ", vc.width, " is not a multiple of num_attention_heads ", vheads);
    vc.head_width = vc.width / vheads;
    vc.mlp_ratio = static_cast<double>(required_int(v, "intermediate_size", vw, 1, 64 * kMaxWidth)) / vc.width;
    vc.image_size = vc.image_width = required_int(v, "image_size", vw, 1, kMaxImageSize);
    vc.patch_size = required_int(v, "patch_size", vw, 1, vc.image_size);
    if (const json* channels = cj::member(v, "num_channels")) {
        if (cj::to_int(*channels, vw, "num_channels", 1, 1 << 16) != 3) fail(vw, ": num_channels must be 3");
    }
    vc.block.act = hf_activation(optional_string(v, "hidden_act", vw, "quick_gelu"), vw);
    if (const json* eps = cj::member(v, "layer_norm_eps"))
        vc.block.ln_eps = static_cast<float>(cj::number(*eps, vw, "layer_norm_eps", 1e-12, 1.0));
    if (vc.image_size % vc.patch_size != 0)
        fail(vw, ": image_size ", vc.image_size, " is not a multiple of patch_size ", vc.patch_size);

    TextConfig& tc = c.text;
    tc.width = required_int(t, "hidden_size", tw, 1, kMaxWidth);
    tc.layers = required_int(t, "num_hidden_layers", tw, 1, kMaxLayers);
    tc.heads = required_int(t, "num_attention_heads", tw, 1, kMaxHeads);
    if (tc.width % tc.heads != 0)
        fail(tw, ": hidden_size ", tc.width, " is not a multiple of num_attention_heads ", tc.heads);
    tc.mlp_ratio = static_cast<double>(required_int(t, "intermediate_size", tw, 1, 64 * kMaxWidth)) / tc.width;
    tc.vocab_size = required_int(t, "vocab_size", tw, 1, kMaxVocab);
    tc.context_length = required_int(t, "max_position_embeddings", tw, 1, 1 << 14);
    tc.block.act = hf_activation(optional_string(t, "hidden_act", tw, "quick_gelu"), tw);
    if (const json* eps = cj::member(t, "layer_norm_eps"))
        tc.block.ln_eps = static_cast<float>(cj::number(*eps, tw, "layer_norm_eps", 1e-12, 1.0));
    // transformers pools the argmax id when eos_token_id is the legacy 2, else the first eos position.
    const json* eos_value = cj::member(t, "eos_token_id");
    const int eos = eos_value ? cj::to_int(*eos_value, tw, "eos_token_id", 0, kMaxVocab) : 2;
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
        const json j = read_json_file(index.string());
        if (!j.contains("weight_map") || !j["weight_map"].is_object()) fail(index.string(), ": no weight_map");
        std::vector<std::string> shards;
        for (const auto& [tensor, file] : j["weight_map"].items()) {
            const std::string name = cj::string(file, index.string() + " weight_map", tensor);
            if (name.find('/') != std::string::npos || name.find("..") != std::string::npos)
                fail(index.string(), ": shard name ", cj::describe(name), " must be a file in the model directory");
            if (std::find(shards.begin(), shards.end(), name) == shards.end()) shards.push_back(name);
        }
        std::vector<std::shared_ptr<SafetensorsFile>> files;
        for (const std::string& shard : shards)
            files.push_back(SafetensorsFile::open((fs::path(dir) / shard).string()));
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
        case Transform::Copy:
            return std::move(parts[0]);
        case Transform::Transpose:
            if (parts[0].shape().rank() != 2)
                fail("tensor '", source.hf_names[0], "' in ", describe(), " is not a matrix");
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
            for (size_t i = 0; i < 3; ++i)
                std::memcpy(static_cast<char*>(out.data()) + i * bytes, parts[i].data(), bytes);
            return out;
        }
    }
    return Tensor();
}

}  // namespace cliprt
