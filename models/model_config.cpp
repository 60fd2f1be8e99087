#include "models/model_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "cliprt/config_json.h"
#include "cliprt/embedded_file.h"
#include "cliprt/error.h"
#include "models/config_bounds.h"
#include "models/timm_archs.h"

namespace cliprt {

#include "embedded_configs.inc"

namespace {

using nlohmann::json;
namespace cj = config_json;

using namespace config_bounds;

// Reads the keys of one JSON object, remembering which were consumed so that anything left over
// is reported as unknown.
class ObjectReader {
public:
    ObjectReader(const json& object, std::string where) : object_(object), where_(std::move(where)) {
        if (!object_.is_object()) fail(where_, " must be a JSON object");
    }

    void read(const char* key, bool& out) {
        if (const json* v = raw(key)) out = cj::boolean(*v, where_, key);
    }
    void read(const char* key, std::string& out) {
        if (const json* v = raw(key)) out = cj::string(*v, where_, key);
    }
    void read(const char* key, int& out, int min, int max) {
        if (const json* v = raw(key)) out = cj::to_int(*v, where_, key, min, max);
    }
    void read(const char* key, double& out, double min, double max) {
        if (const json* v = raw(key)) out = cj::number(*v, where_, key, min, max);
    }
    void read(const char* key, std::optional<double>& out, double min, double max) {
        if (const json* v = raw(key)) out = cj::number(*v, where_, key, min, max);
    }
    const json* raw(const char* key) {
        seen_.insert(key);
        auto it = object_.find(key);
        return it == object_.end() || it->is_null() ? nullptr : &*it;
    }
    // Keys open_clip accepts that do not change inference, or that must keep their default.
    void ignore(const char* key) { seen_.insert(key); }
    template <typename T>
    void require_default(const char* key, const T& default_value, const char* why) {
        T value = default_value;
        read(key, value);
        if (value != default_value)
            fail(where_, ": '", key, "' = ", cj::describe(object_.at(key)), " is not supported (", why, ")");
    }
    void finish() const {
        for (auto it = object_.begin(); it != object_.end(); ++it) {
            if (!seen_.count(it.key())) fail(where_, ": unknown config key '", cj::describe_key(it.key()), "'");
        }
    }
    const std::string& where() const { return where_; }

private:
    const json& object_;
    std::string where_;
    std::set<std::string> seen_;
};

void read_block_options(ObjectReader& r, BlockConfig& block, bool quick_gelu) {
    r.read("ls_init_value", block.ls_init_value, -1e6, 1e6);
    r.read("qk_norm", block.qk_norm);
    r.read("scaled_cosine_attn", block.scaled_cosine_attn);
    r.read("scale_heads", block.scale_heads);
    r.read("scale_attn_inner", block.scale_attn_inner);
    r.read("scale_attn", block.scale_attn);
    r.read("scale_fc", block.scale_fc);
    std::string block_type;
    r.read("block_type", block_type);
    if (!block_type.empty() && block_type != "default" && block_type != "custom")
        fail(r.where(), ": unknown block_type ", cj::describe(block_type));
    if (block.qk_norm && block.scaled_cosine_attn)
        fail(r.where(), ": qk_norm and scaled_cosine_attn exclude each other");
    block.act = quick_gelu ? Activation::QuickGelu : Activation::Gelu;
    if (const json* act = r.raw("act_kwargs")) {
        if (!act->is_object()) fail(r.where(), ": 'act_kwargs' must be an object, not ", cj::describe(*act));
        for (auto it = act->begin(); it != act->end(); ++it) {
            if (it.key() == "approximate" && it.value() == "tanh" && !quick_gelu) {
                block.act = Activation::GeluTanh;
            } else if (!(it.key() == "approximate" && it.value() == "none")) {
                fail(r.where(), ": act_kwargs '", cj::describe_key(it.key()), "' = ", cj::describe(it.value()),
                     " is not supported");
            }
        }
    }
    if (const json* norm = r.raw("norm_kwargs")) {
        if (!norm->is_object()) fail(r.where(), ": 'norm_kwargs' must be an object, not ", cj::describe(*norm));
        for (auto it = norm->begin(); it != norm->end(); ++it) {
            if (it.key() != "eps") fail(r.where(), ": norm_kwargs '", cj::describe_key(it.key()), "' is not supported");
            block.ln_eps = static_cast<float>(cj::number(it.value(), r.where() + " norm_kwargs", "eps", 1e-12, 1.0));
        }
    }
}

std::vector<TimmHeadLayer> parse_custom_head(const json& j, const std::string& where) {
    if (!j.is_array() || j.empty() || j.size() > 64)
        fail(where, ": 'timm_custom_head' must be a list of 1 to 64 layers, not ", cj::describe(j));
    static const char* const kinds[] = {"linear",     "layer_norm", "relu", "gelu",     "gelu_tanh",
                                        "quick_gelu", "sigmoid",    "tanh", "identity", "dropout"};
    std::vector<TimmHeadLayer> layers;
    for (size_t i = 0; i < j.size(); ++i) {
        ObjectReader r(j[i], where + " timm_custom_head[" + std::to_string(i) + "]");
        TimmHeadLayer layer;
        layer.name = std::to_string(i);
        r.read("kind", layer.kind);
        r.read("name", layer.name);
        r.read("out_features", layer.out_features, 1, kMaxWidth);
        r.read("bias", layer.bias);
        double eps = layer.eps;
        r.read("eps", eps, 1e-12, 1.0);
        layer.eps = static_cast<float>(eps);
        r.finish();
        if (std::find(std::begin(kinds), std::end(kinds), layer.kind) == std::end(kinds))
            fail(r.where(), ": unknown layer kind ", cj::describe(layer.kind),
                 " (known: linear, layer_norm, relu, gelu, gelu_tanh, quick_gelu, sigmoid, tanh, identity, dropout)");
        if (layer.kind == "linear" && layer.out_features == 0) fail(r.where(), ": a linear layer needs out_features");
        if (layer.kind != "linear" && (j[i].contains("out_features") || j[i].contains("bias")))
            fail(r.where(), ": out_features and bias belong to linear layers");
        if (layer.kind != "layer_norm" && j[i].contains("eps")) fail(r.where(), ": eps belongs to layer_norm layers");
        if (layer.name.empty() || layer.name.find('.') != std::string::npos)
            fail(r.where(), ": name ", cj::describe(layer.name), " must be non-empty and without '.'");
        for (const TimmHeadLayer& other : layers) {
            if (other.name == layer.name) fail(r.where(), ": name ", cj::describe(layer.name), " is used twice");
        }
        layers.push_back(layer);
    }
    return layers;
}

PrenormVitConfig parse_prenorm_vit(const json& j, const std::string& where) {
    ObjectReader r(j, where + " prenorm_vit");
    PrenormVitConfig p;
    r.read("heads", p.heads, 1, kMaxHeads);
    r.read("dim_head", p.dim_head, 1, kMaxWidth);
    r.read("mlp_dim", p.mlp_dim, 1, 1 << 20);
    r.read("pool", p.pool);
    r.finish();
    if (p.mlp_dim == 0) fail(r.where(), ": mlp_dim (the FeedForward width) is required");
    if (p.pool != "cls" && p.pool != "mean") fail(r.where(), ": pool ", cj::describe(p.pool), " is not cls or mean");
    return p;
}

// open_clip's TimmModel: the trunk must be one cliprt builds, with a pool and projection it can run.
void check_timm_tower(const VisionConfig& v, const std::string& where) {
    const std::string family = timm_family(v.timm_model_name);  // an unknown name fails here
    const std::string& pool = v.timm_pool;
    if (!v.timm_custom_head.empty() && (pool.empty() || pool == "abs_attn" || pool == "rot_attn"))
        fail(where, ": a timm_custom_head reads the pooled trunk features (the seed's TimmModel resets the trunk ",
             "with global_pool = timm_pool); timm_pool ", cj::describe(pool), " leaves none");
    // A custom head replaces open_clip's head; the trunk is reset as for a projection.
    const std::string proj = v.timm_custom_head.empty() ? v.timm_proj : "linear";
    if (v.timm_proj != "" && v.timm_proj != "linear" && v.timm_proj != "mlp" && v.timm_proj != "none")
        fail(where, ": timm_proj ", cj::describe(v.timm_proj), " is not one of linear, mlp, none");
    if (family == "convnext") {
        const TimmConvNextArch arch = timm_convnext_arch(v.timm_model_name);
        resolve_timm_convnext_head(arch, pool, proj, v.timm_proj_bias, 1, where);
        if (v.image_size < arch.min_image_size() || v.image_width < arch.min_image_size())
            fail(where, ": image_size ", v.image_size, "x", v.image_width, " is smaller than the ",
                 arch.min_image_size(), " pixels every stage of ", v.timm_model_name, " needs");
        return;
    }
    const TimmVitArch arch = family == "eva" ? timm_eva_arch(v.timm_model_name) : timm_vit_arch(v.timm_model_name);
    if (family == "eva" && pool == "map")
        fail(where, ": timm_pool map on the Eva trunk ", v.timm_model_name,
             " is not supported (supported: '', token, avg)");
    if (pool == "abs_attn" || pool == "rot_attn")
        fail(where, ": timm_pool '", pool, "' needs a convolutional trunk (", v.timm_model_name, " is a ViT)");
    if (pool != "" && pool != "token" && pool != "avg" && pool != "map" && pool != kTimmDefaultPool)
        fail(where, ": timm_pool ", cj::describe(pool), " is not supported (supported: '', token, avg, map)");
    resolve_timm_vit_head(arch, pool, proj, v.timm_proj_bias, 1, where);
    if (v.image_size != arch.img_h || v.image_width != arch.img_w)
        fail(where, ": image_size ", v.image_size, "x", v.image_width, " differs from the ", arch.img_h, "x",
             arch.img_w, " images timm builds ", v.timm_model_name, " for");
}

VisionConfig parse_vision(const json& j, bool quick_gelu, const std::string& source) {
    ObjectReader r(j, source + " vision_cfg");
    VisionConfig v;
    if (const json* layers = r.raw("layers")) {
        if (layers->is_array()) {
            v.resnet = true;
            if (layers->size() != 4) fail(r.where(), ": ResNet 'layers' must have 4 entries");
            v.resnet_layers.clear();
            for (const json& n : *layers) v.resnet_layers.push_back(cj::to_int(n, r.where(), "layers", 1, kMaxLayers));
        } else if (layers->is_number()) {
            v.layers = cj::to_int(*layers, r.where(), "layers", 1, kMaxLayers);
        } else {
            fail(r.where(), ": 'layers' must be an integer or a list of 4");
        }
    }
    r.read("width", v.width, 1, kMaxWidth);
    r.read("head_width", v.head_width, 1, kMaxWidth);
    r.read("mlp_ratio", v.mlp_ratio, 1.0 / 64, 64);
    r.read("patch_size", v.patch_size, 1, kMaxImageSize);
    if (const json* size = r.raw("image_size")) {
        if (size->is_array() && size->size() == 2) {
            v.image_size = cj::to_int((*size)[0], r.where(), "image_size", 1, kMaxImageSize);
            v.image_width = cj::to_int((*size)[1], r.where(), "image_size", 1, kMaxImageSize);
        } else if (size->is_number()) {
            v.image_size = v.image_width = cj::to_int(*size, r.where(), "image_size", 1, kMaxImageSize);
        } else {
            fail(r.where(), ": image_size ", cj::describe(*size), " must be an integer or [height, width]");
        }
    }
    if (const json* pool = r.raw("attentional_pool")) {
        if (!pool->is_boolean())
            fail(r.where(), ": attentional_pool ", cj::describe(*pool), " (parallel/cascade) is not supported");
        v.attentional_pool = pool->get<bool>();
    }
    r.read("attn_pooler_queries", v.attn_pooler_queries, 1, 4096);
    r.read("attn_pooler_heads", v.attn_pooler_heads, 1, kMaxHeads);
    r.read("no_ln_pre", v.no_ln_pre);
    r.read("final_ln_after_pool", v.final_ln_after_pool);
    r.read("pool_type", v.pool_type);
    if (v.pool_type != "tok" && v.pool_type != "avg" && v.pool_type != "none")
        fail(r.where(), ": unknown pool_type ", cj::describe(v.pool_type));
    r.read("use_se", v.use_se);
    r.read("attnpool_ln", v.attnpool_ln);
    if (const json* prenorm = r.raw("prenorm_vit")) v.prenorm_vit = parse_prenorm_vit(*prenorm, r.where());
    std::string pos_embed_type = "learnable";
    r.read("pos_embed_type",
           pos_embed_type);  // sin_cos_2d is a fixed table stored in the state dict like a learned one
    if (pos_embed_type != "learnable" && pos_embed_type != "sin_cos_2d")
        fail(r.where(), ": unknown pos_embed_type ", cj::describe(pos_embed_type));
    r.read("timm_model_name", v.timm_model_name);
    r.read("timm_pool", v.timm_pool);
    r.read("timm_proj", v.timm_proj);
    // null is not the default: open_clip tests `if proj`, so a null proj acts as '' (the trunk keeps its
    // classifier), and timm.create_model drops a None global_pool (the trunk keeps its own pool).
    if (j.contains("timm_proj") && j.at("timm_proj").is_null()) v.timm_proj = "";
    if (j.contains("timm_pool") && j.at("timm_pool").is_null()) v.timm_pool = kTimmDefaultPool;
    r.read("timm_proj_bias", v.timm_proj_bias);
    if (const json* head = r.raw("timm_custom_head")) v.timm_custom_head = parse_custom_head(*head, r.where());
    r.ignore("patch_dropout");  // training only
    r.ignore("output_tokens");
    for (const char* key : {"timm_model_pretrained", "timm_drop", "timm_drop_path"}) r.ignore(key);
    read_block_options(r, v.block, quick_gelu && !v.resnet);
    r.finish();
    if (v.prenorm_vit && (v.timm() || v.resnet))
        fail(r.where(), ": prenorm_vit (seed 003's ViT) excludes ", v.timm() ? "timm_model_name" : "ResNet layers");
    if (v.timm()) {
        check_timm_tower(v, r.where());
        return v;
    }
    if (v.width <= 0 || v.image_size <= 0 || v.image_width <= 0 || v.patch_size <= 0 || v.head_width <= 0)
        fail(r.where(), ": width, image_size, patch_size and head_width must be positive");
    if (v.attnpool_ln && !v.resnet) fail(r.where(), ": attnpool_ln needs a ModifiedResNet tower (layers as a list)");
    if (v.resnet && v.image_size != v.image_width) fail(r.where(), ": ResNet towers need a square image_size");
    if (v.resnet && v.use_se && v.width * 4 / 16 < 1) fail(r.where(), ": use_se needs width >= 4");
    if (!v.resnet && (v.image_size % v.patch_size != 0 || v.image_width % v.patch_size != 0))
        fail(r.where(), ": image_size ", v.image_size, "x", v.image_width, " is not a multiple of patch_size ",
             v.patch_size);
    if (v.resnet && v.image_size % 32 != 0) fail(r.where(), ": ResNet image_size must be a multiple of 32");
    if (v.prenorm_vit && v.image_size != v.image_width)
        fail(r.where(), ": prenorm_vit (seed 003's ViT) takes square images, got ", v.image_size, "x", v.image_width);
    return v;
}

TextConfig parse_text(const json& j, bool quick_gelu, const std::string& source) {
    ObjectReader r(j, source + " text_cfg");
    TextConfig t;
    r.read("context_length", t.context_length, 1, kMaxContext);
    r.read("vocab_size", t.vocab_size, 1, kMaxVocab);
    r.read("width", t.width, 1, kMaxWidth);
    r.read("heads", t.heads, 1, kMaxHeads);
    r.read("layers", t.layers, 1, kMaxLayers);
    r.read("mlp_ratio", t.mlp_ratio, 1.0 / 64, 64);
    r.read("no_causal_mask", t.no_causal_mask);
    r.read("pad_id", t.pad_id, 0, kMaxVocab);
    r.read("eos_id", t.eos_id, 0, kMaxVocab);
    r.read("pool_type", t.pool_type);
    if (t.pool_type != "first" && t.pool_type != "last" && t.pool_type != "argmax" && t.pool_type != "eos")
        fail(r.where(), ": pool_type ", cj::describe(t.pool_type), " is not supported");
    r.read("proj_bias", t.proj_bias);
    r.read("proj_type", t.proj_type);
    if (t.proj_type != "linear" && t.proj_type != "none")
        fail(r.where(), ": unknown proj_type ", cj::describe(t.proj_type));
    r.require_default("embed_cls", false, "CoCa class token");
    r.require_default("use_pad_mask", false, "padding masks");
    r.read("hf_model_name", t.hf_model_name);
    r.read("hf_pooler_type", t.hf_pooler);
    if (t.hf_pooler != "mean_pooler" && t.hf_pooler != "max_pooler" && t.hf_pooler != "cls_pooler" &&
        t.hf_pooler != "cls_last_hidden_state_pooler")
        fail(r.where(), ": hf_pooler_type ", cj::describe(t.hf_pooler),
             " is not supported (mean_pooler, max_pooler, cls_pooler, cls_last_hidden_state_pooler)");
    // open_clip's hf_proj_type: absent is 'mlp' (CLIPTextCfg), null is no projection (allowed when
    // the encoder width is embed_dim).
    if (j.contains("hf_proj_type") && j["hf_proj_type"].is_null()) t.hf_proj = "none";
    r.read("hf_proj_type", t.hf_proj);
    if (t.hf_proj != "linear" && t.hf_proj != "mlp" && t.hf_proj != "none")
        fail(r.where(), ": hf_proj_type ", cj::describe(t.hf_proj), " is not supported (linear, mlp or null)");
    // cliprt extension: the encoder's transformers config inline (the manifests of the goldens); a
    // model directory brings it as config.json instead.
    if (const json* hf_config = r.raw("hf_model_config")) {
        if (t.hf_model_name.empty()) fail(r.where(), ": hf_model_config without hf_model_name");
        t.hf = parse_hf_encoder_config(hf_config->dump(), r.where() + " hf_model_config");
    }
    r.read("hf_tokenizer_name", t.hf_tokenizer_name);
    if (const json* kwargs = r.raw("tokenizer_kwargs")) t.tokenizer_kwargs = kwargs->dump();  // depth-bounded at parse
    r.read("tokenizer_mode", t.tokenizer_mode);
    for (const char* key : {"output_tokens", "hf_model_pretrained", "final_ln_after_pool", "correct_cls_mask"})
        r.ignore(key);  // tokenizer choice lives elsewhere; final_ln_after_pool is not used by open_clip's text tower
    read_block_options(r, t.block, quick_gelu);
    r.finish();
    if (t.width <= 0 || t.heads <= 0 || t.width % t.heads != 0)
        fail(r.where(), ": width must be a positive multiple of heads");
    if (t.context_length <= 0 || t.vocab_size <= 0) fail(r.where(), ": context_length and vocab_size must be positive");
    return t;
}

}  // namespace

ClipConfig parse_model_config(const std::string& json_text, const std::string& source) {
    json whole = cj::parse(json_text, source);
    // A whole open_clip_config.json holds the model config under model_cfg.
    const json& j = whole.is_object() && whole.contains("model_cfg") ? whole["model_cfg"] : whole;
    ObjectReader r(j, source);
    ClipConfig c;
    c.name = source;
    r.read("embed_dim", c.embed_dim, 1, kMaxWidth);
    r.read("quick_gelu", c.quick_gelu);
    r.read("custom_text", c.custom_text);
    r.read("nonscalar_logit_scale", c.nonscalar_logit_scale);
    double logit_bias = 0;
    if (r.raw("init_logit_bias")) {
        r.read("init_logit_bias", logit_bias, -1e6, 1e6);
        c.has_logit_bias = true;
    }
    r.ignore("init_logit_scale");  // the checkpoint holds the value
    r.ignore("cast_dtype");
    if (r.raw("multimodal_cfg")) fail(source, ": CoCa models (multimodal_cfg) are not supported");
    const json* vision = r.raw("vision_cfg");
    const json* text = r.raw("text_cfg");
    r.finish();
    if (!vision || !text) fail(source, ": model config needs vision_cfg and text_cfg");
    c.vision = parse_vision(*vision, c.quick_gelu, source);
    c.text = parse_text(*text, c.quick_gelu, source);
    if (!c.text.hf_model_name.empty()) c.custom_text = true;  // open_clip builds a CustomTextCLIP then
    if (c.embed_dim <= 0) fail(source, ": embed_dim must be positive");
    const auto& head = c.vision.timm_custom_head;
    for (auto it = head.rbegin(); it != head.rend(); ++it) {
        if (it->kind != "linear") continue;
        if (it->out_features != c.embed_dim)
            fail(source, ": vision_cfg timm_custom_head ends with ", it->out_features, " features, embed_dim is ",
                 c.embed_dim);
        break;
    }
    return c;
}

std::vector<std::string> builtin_model_names() {
    std::vector<std::string> names;
    for (int i = 0; i < builtin_model_configs_count; ++i) names.emplace_back(builtin_model_configs[i].name);
    std::sort(names.begin(), names.end());
    return names;
}

bool is_builtin_model(const std::string& name) {
    for (int i = 0; i < builtin_model_configs_count; ++i) {
        if (name == builtin_model_configs[i].name) return true;
    }
    return false;
}

ClipConfig builtin_model_config(const std::string& name) {
    for (int i = 0; i < builtin_model_configs_count; ++i) {
        if (name == builtin_model_configs[i].name) {
            ClipConfig c = parse_model_config(builtin_model_configs[i].contents, name);
            c.name = name;
            return c;
        }
    }
    std::string known;
    for (const std::string& n : builtin_model_names()) known += (known.empty() ? "" : ", ") + n;
    fail("unknown model '", name, "' (built-in models: ", known, ")");
}

}  // namespace cliprt
