#include "models/hf_text_model.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "cliprt/config_json.h"
#include "cliprt/error.h"
#include "models/model_loader.h"

namespace cliprt {

namespace fs = std::filesystem;
using nlohmann::json;
namespace cj = config_json;

namespace {

bool flag(const json& j, const char* key, const std::string& where) {
    const json* v = cj::member(j, key);
    return v != nullptr && cj::boolean(*v, where, key);
}

// sentence-transformers' Pooling module (1_Pooling/config.json) as an open_clip pooler name.
std::string st_pooler(const fs::path& path, int hidden_size) {
    const std::string where = path.string();
    const json j = read_json_file(path.string());
    if (!j.is_object()) fail(where, ": must be a JSON object");
    if (const json* dim = cj::member(j, "word_embedding_dimension")) {
        const int d = cj::to_int(*dim, where, "word_embedding_dimension", 1, 1 << 16);
        if (d != hidden_size)
            fail(where, ": word_embedding_dimension ", d, " is not the encoder's hidden_size ", hidden_size);
    }
    for (const char* key :
         {"pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"}) {
        if (flag(j, key, where)) fail(where, ": ", key, " is not supported (mean, max or cls pooling)");
    }
    if (const json* prompt = cj::member(j, "include_prompt");
        prompt != nullptr && !cj::boolean(*prompt, where, "include_prompt"))
        fail(where, ": include_prompt false is not supported");
    const bool mean = flag(j, "pooling_mode_mean_tokens", where);
    const bool max = flag(j, "pooling_mode_max_tokens", where);
    const bool cls = flag(j, "pooling_mode_cls_token", where);
    if (mean + max + cls != 1)
        fail(where,
             ": exactly one of pooling_mode_mean_tokens, pooling_mode_max_tokens and pooling_mode_cls_token must be "
             "true (concatenated poolings are not supported)");
    // sentence-transformers' cls pooling is the first token of the last hidden state (no BERT pooler).
    return mean ? "mean_pooler" : max ? "max_pooler" : "cls_last_hidden_state_pooler";
}

}  // namespace

bool is_hf_text_directory(const std::string& dir) {
    const fs::path config = fs::path(dir) / "config.json";
    if (fs::exists(fs::path(dir) / "open_clip_config.json") || !fs::exists(config)) return false;
    try {
        const json j = read_json_file(config.string());
        const json* type = j.is_object() ? cj::member(j, "model_type") : nullptr;
        return type != nullptr && type->is_string() && is_hf_encoder_model_type(type->get<std::string>());
    } catch (const Error&) {
        return false;  // a broken config.json is reported by whoever loads the directory
    }
}

ClipConfig hf_text_directory_config(const std::string& directory) {
    const fs::path dir(directory);
    const fs::path config_path = dir / "config.json";
    ClipConfig c;
    c.name = directory;
    c.has_vision = false;
    TextConfig& t = c.text;
    t.hf = parse_hf_encoder_config(read_text_file(config_path.string()), config_path.string());
    const HfEncoderConfig& hf = *t.hf;
    t.hf_model_name = directory;
    t.hf_weights_prefix = "";
    t.hf_proj = "none";
    t.hf_pooler = "mean_pooler";
    t.width = hf.hidden_size;
    t.heads = hf.num_heads;
    t.layers = hf.num_layers;
    t.vocab_size = hf.vocab_size;
    t.pad_id = hf.pad_token_id;
    c.embed_dim = hf.hidden_size;
    t.context_length = hf.max_tokens();

    // The tokenizer's own limit (tokenizer_config.json model_max_length, when it is a real one).
    const fs::path tokenizer_config = dir / "tokenizer_config.json";
    if (fs::exists(tokenizer_config)) {
        const json j = read_json_file(tokenizer_config.string());
        const json* v = j.is_object() ? cj::member(j, "model_max_length") : nullptr;
        if (v != nullptr && v->is_number() && v->get<double>() >= 1 && v->get<double>() < t.context_length)
            t.context_length = static_cast<int>(v->get<double>());
    }

    const fs::path modules_path = dir / "modules.json";
    if (!fs::exists(modules_path)) return c;
    // sentence-transformers: Transformer (this directory), Pooling, optionally Normalize.
    const std::string where = modules_path.string();
    const json modules = read_json_file(modules_path.string());
    if (!modules.is_array() || modules.empty()) fail(where, ": must be a non-empty list of modules");
    bool pooled = false;
    for (size_t i = 0; i < modules.size(); ++i) {
        const json& m = modules[i];
        if (!m.is_object()) fail(where, ": module ", i, " must be an object");
        const json* type_value = cj::member(m, "type");
        if (type_value == nullptr) fail(where, ": module ", i, " has no 'type'");
        const std::string type = cj::string(*type_value, where, "type");
        const json* path_value = cj::member(m, "path");
        const std::string path = path_value ? cj::string(*path_value, where, "path") : "";
        if (type == "sentence_transformers.models.Transformer") {
            if (i != 0 || !(path.empty() || path == "." || path == "./"))
                fail(where, ": the Transformer module must be the first and live in the directory itself (path \"\")");
        } else if (type == "sentence_transformers.models.Pooling") {
            if (i != 1) fail(where, ": the Pooling module must follow the Transformer");
            if (path.find("..") != std::string::npos || (!path.empty() && path[0] == '/'))
                fail(where, ": module path ", cj::describe(path), " leaves the model directory");
            t.hf_pooler = st_pooler(dir / path / "config.json", hf.hidden_size);
            pooled = true;
        } else if (type == "sentence_transformers.models.Normalize") {
            if (i != modules.size() - 1) fail(where, ": modules after Normalize are not supported");
            t.normalize_output = true;
        } else {
            fail(where, ": module type ", cj::describe(type), " is not supported (Transformer, Pooling, Normalize)");
        }
    }
    if (!pooled) fail(where, ": no Pooling module");
    const fs::path st_config = dir / "sentence_bert_config.json";
    if (fs::exists(st_config)) {
        const std::string st_where = st_config.string();
        const json j = read_json_file(st_config.string());
        if (!j.is_object()) fail(st_where, ": must be a JSON object");
        if (const json* v = cj::member(j, "max_seq_length")) {
            const int max_len = cj::to_int(*v, st_where, "max_seq_length", 1, 1 << 16);
            if (max_len > hf.max_tokens())
                fail(st_where, ": max_seq_length ", max_len, " exceeds the encoder's ", hf.max_tokens(), " positions");
            t.context_length = max_len;
        }
        if (flag(j, "do_lower_case", st_where)) fail(st_where, ": do_lower_case true is not supported");
    }
    return c;
}

}  // namespace cliprt
