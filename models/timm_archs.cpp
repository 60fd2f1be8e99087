#include "models/timm_archs.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "cliprt/config_json.h"
#include "cliprt/embedded_file.h"
#include "cliprt/error.h"
#include "models/model_config.h"

namespace cliprt {

#include "embedded_timm_archs.inc"

namespace {

using nlohmann::json;
namespace cj = config_json;

Activation activation(const std::string& name, const std::string& where) {
    if (name == "gelu") return Activation::Gelu;
    if (name == "gelu_tanh") return Activation::GeluTanh;
    if (name == "quick_gelu") return Activation::QuickGelu;
    if (name == "relu") return Activation::Relu;
    fail(where, ": activation '", name, "' is not supported");
}

// The facts a VisionTransformer and an Eva share (an Eva has no map head entries: timm_pool map is
// refused for it).
void parse_vit_base(TimmVitArch& a, const std::string& name, const json& j, bool eva) {
    const std::string where = "timm model " + name;
    a.name = name;
    auto pair = [&](const char* key, int& h, int& w) {
        const json& v = j.at(key);
        h = cj::to_int(v.at(0), where, key, 1, 1 << 14);
        w = cj::to_int(v.at(1), where, key, 1, 1 << 14);
    };
    pair("img_size", a.img_h, a.img_w);
    pair("patch_size", a.patch_h, a.patch_w);
    a.width = cj::to_int(j.at("width"), where, "width", 1, 1 << 16);
    a.depth = cj::to_int(j.at("depth"), where, "depth", 1, 1024);
    a.heads = cj::to_int(j.at("heads"), where, "heads", 1, 1024);
    a.mlp_hidden = cj::to_int(j.at("mlp_hidden"), where, "mlp_hidden", 1, 1 << 20);
    const std::string act = cj::string(j.at("act"), where, "act");
    // SwiGLU's SiLU gate is built from sigmoid and a product; the Mlp activation is one of the fused ones.
    if (!(eva && act == "silu" && cj::boolean(j.at("swiglu"), where, "swiglu"))) a.act = activation(act, where);
    a.norm_eps = static_cast<float>(cj::number(j.at("norm_eps"), where, "norm_eps", 1e-12, 1));
    a.qkv_bias = cj::boolean(j.at("qkv_bias"), where, "qkv_bias");
    if (!eva) {
        a.qk_norm = cj::boolean(j.at("qk_norm"), where, "qk_norm");
        a.layer_scale = cj::boolean(j.at("layer_scale"), where, "layer_scale");
    }
    a.patch_bias = cj::boolean(j.at("patch_bias"), where, "patch_bias");
    a.class_token = cj::boolean(j.at("class_token"), where, "class_token");
    a.reg_tokens = cj::to_int(j.at("reg_tokens"), where, "reg_tokens", 0, 1024);
    a.no_embed_class = cj::boolean(j.at("no_embed_class"), where, "no_embed_class");
    a.pos_embed = cj::boolean(j.at("pos_embed"), where, "pos_embed");
    a.pre_norm = cj::boolean(j.at("pre_norm"), where, "pre_norm");
    a.final_norm = cj::boolean(j.at("final_norm"), where, "final_norm");
    if (!j.at("fc_norm").is_null()) a.fc_norm = cj::boolean(j.at("fc_norm"), where, "fc_norm");
    a.default_pool = cj::string(j.at("default_pool"), where, "default_pool");
    if (a.img_h < a.patch_h || a.img_w < a.patch_w)
        fail(where, ": image ", a.img_h, "x", a.img_w, " is smaller than the patch ", a.patch_h, "x", a.patch_w);
    if (a.width % a.heads != 0) fail(where, ": width ", a.width, " is not a multiple of the head count");
    if (eva) return;
    a.pool_include_prefix = cj::boolean(j.at("pool_include_prefix"), where, "pool_include_prefix");
    if (a.pool_include_prefix) fail(where, ": pool_include_prefix is not supported");
    a.map_heads = cj::to_int(j.at("map_heads"), where, "map_heads", 1, 1024);
    a.map_mlp_hidden = cj::to_int(j.at("map_mlp_hidden"), where, "map_mlp_hidden", 1, 1 << 20);
    a.map_qkv_bias = cj::boolean(j.at("map_qkv_bias"), where, "map_qkv_bias");
    a.map_norm_eps = static_cast<float>(cj::number(j.at("map_norm_eps"), where, "map_norm_eps", 1e-12, 1));
    if (a.width % a.map_heads != 0) fail(where, ": width ", a.width, " is not a multiple of the map head count");
}

TimmVitArch parse_vit(const std::string& name, const json& j) {
    TimmVitArch a;
    parse_vit_base(a, name, j, false);
    return a;
}

TimmEvaArch parse_eva(const std::string& name, const json& j) {
    const std::string where = "timm model " + name;
    TimmEvaArch a;
    parse_vit_base(a, name, j, true);
    a.qkv_fused = cj::boolean(j.at("qkv_fused"), where, "qkv_fused");
    a.attn_norm = cj::boolean(j.at("attn_norm"), where, "attn_norm");
    a.swiglu = cj::boolean(j.at("swiglu"), where, "swiglu");
    a.mlp_norm = cj::boolean(j.at("mlp_norm"), where, "mlp_norm");
    a.post_norm = cj::boolean(j.at("post_norm"), where, "post_norm");
    a.rope = cj::boolean(j.at("rope"), where, "rope");
    if (a.rope) {
        const json& ref = j.at("rope_ref_feat_shape");
        if (!ref.is_null()) {
            a.rope_ref_h = cj::to_int(ref.at(0), where, "rope_ref_feat_shape", 1, 1 << 14);
            a.rope_ref_w = cj::to_int(ref.at(1), where, "rope_ref_feat_shape", 1, 1 << 14);
        }
        a.rope_temperature =
            static_cast<float>(cj::number(j.at("rope_temperature"), where, "rope_temperature", 1, 1e9));
        if ((a.width / a.heads) % 4 != 0)
            fail(where, ": the rotary embedding needs a head width divisible by 4, got ", a.width / a.heads);
    }
    return a;
}

TimmConvNextArch parse_convnext(const std::string& name, const json& j) {
    const std::string where = "timm model " + name;
    TimmConvNextArch a;
    a.name = name;
    a.patch = cj::to_int(j.at("patch_size"), where, "patch_size", 1, 1 << 10);
    const json& stages = j.at("stages");
    if (!stages.is_array() || stages.empty() || stages.size() > 8) fail(where, ": 'stages' must list 1 to 8 stages");
    for (const json& s : stages) {
        TimmConvNextStage st;
        st.depth = cj::to_int(s.at("depth"), where, "depth", 1, 1024);
        st.dim = cj::to_int(s.at("dim"), where, "dim", 1, 1 << 16);
        st.kernel = cj::to_int(s.at("kernel"), where, "kernel", 1, 63);
        st.mlp_hidden = cj::to_int(s.at("mlp_hidden"), where, "mlp_hidden", 1, 1 << 20);
        if (st.kernel % 2 == 0) fail(where, ": depthwise kernel ", st.kernel, " is not odd");
        a.stages.push_back(st);
    }
    a.act = activation(cj::string(j.at("act"), where, "act"), where);
    a.norm_eps = static_cast<float>(cj::number(j.at("norm_eps"), where, "norm_eps", 1e-12, 1));
    a.conv_bias = cj::boolean(j.at("conv_bias"), where, "conv_bias");
    a.layer_scale = cj::boolean(j.at("layer_scale"), where, "layer_scale");
    a.default_pool = cj::string(j.at("default_pool"), where, "default_pool");
    if (!j.at("pool_size").is_null()) {
        a.pool_h = cj::to_int(j.at("pool_size").at(0), where, "pool_size", 1, 1 << 10);
        a.pool_w = cj::to_int(j.at("pool_size").at(1), where, "pool_size", 1, 1 << 10);
    }
    return a;
}

const json& table() {
    static const json models = [] {
        json doc = cj::parse(timm_archs_json[0].contents, "models/timm/timm_archs.json");
        return doc.at("models");
    }();
    return models;
}

}  // namespace

TimmVitHead resolve_timm_vit_head(const TimmVitArch& arch, const std::string& pool_arg, const std::string& proj,
                                  bool proj_bias, int embed_dim, const std::string& where) {
    const std::string pool = pool_arg == kTimmDefaultPool ? arch.default_pool : pool_arg;
    const bool extra_proj = proj == "linear" || proj == "mlp";
    // timm decides trunk.attn_pool and where the final norm goes when it constructs the model.
    const std::string built_pool = extra_proj ? arch.default_pool : pool;
    const bool use_fc_norm = arch.fc_norm.value_or(built_pool == "avg");
    TimmVitHead h;
    h.map_head = built_pool == "map";
    h.pool = extra_proj && pool.empty() ? arch.default_pool : pool;  // reset_classifier keeps the pool given ''
    if (h.pool == "map" && !h.map_head)
        fail(where, ": timm cannot add a map pool to ", arch.name, " after building it (its default pool is '",
             arch.default_pool, "')");
    if (h.pool != "map") h.map_head = false;  // reset_classifier removes the attention pool
    if (h.pool == "token" && !arch.class_token)
        fail(where, ": timm_pool token needs a class token, ", arch.name, " has none");
    h.norm_before_pool = arch.final_norm && !use_fc_norm;
    h.fc_norm = arch.final_norm && use_fc_norm;
    h.trunk_classes = extra_proj || proj == "none" ? 0 : embed_dim;
    h.proj = extra_proj ? proj : "none";
    h.proj_bias = proj_bias;
    return h;
}

TimmConvNextHead resolve_timm_convnext_head(const TimmConvNextArch& arch, const std::string& pool_arg,
                                            const std::string& proj, bool proj_bias, int embed_dim,
                                            const std::string& where) {
    const std::string pool = pool_arg == kTimmDefaultPool ? arch.default_pool : pool_arg;
    if (pool == "abs_attn" || pool == "rot_attn") {
        if (pool == "abs_attn" && arch.pool_h == 0)
            fail(where, ": timm_pool abs_attn needs the trunk's feature size (default_cfg pool_size); ", arch.name,
                 " has none");
        if (arch.num_features() % kTimmAttnPoolHeadDim != 0)
            fail(where, ": timm_pool ", pool, " splits ", arch.num_features(), " channels into heads of ",
                 kTimmAttnPoolHeadDim);
        TimmConvNextHead h;
        h.attn_pool = pool;
        h.proj = proj == "linear" || proj == "mlp" ? proj : "none";
        h.proj_bias = proj_bias;
        return h;
    }
    const bool extra_proj = proj == "linear" || proj == "mlp";
    // With a projection, reset_classifier keeps the trunk's pool when timm_pool is ''.
    const std::string used_pool = extra_proj && pool.empty() ? arch.default_pool : pool;
    if (used_pool.empty())
        fail(where, ": timm_pool '' without a projection leaves ", arch.name,
             "'s feature map unpooled (timm's 1x1 conv classifier); cliprt needs a pooled feature vector");
    if (used_pool != "avg")
        fail(where, ": timm_pool ", cj::describe(used_pool), " on ", arch.name, " is not supported (supported: avg)");
    TimmConvNextHead h;
    h.trunk_classes = extra_proj || proj == "none" ? 0 : embed_dim;
    h.proj = extra_proj ? proj : "none";
    h.proj_bias = proj_bias;
    return h;
}

std::string timm_supported_families() {
    return "timm VisionTransformer (vit_*_siglip_* SigLIP / SigLIP 2 towers, vit_large_patch14_clip_224, "
           "vit_medium_patch16_gap_256), timm ConvNeXt (convnext_tiny, _small, _base, _large, _xlarge, _xxlarge) "
           "and timm Eva (eva02_*_clip_* EVA02 towers, eva_giant_patch14_224)";
}

std::vector<std::string> timm_model_names() {
    std::vector<std::string> names;
    for (auto it = table().begin(); it != table().end(); ++it) names.push_back(it.key());
    std::sort(names.begin(), names.end());
    return names;
}

namespace {

// The table entry of a model of `family`.
const json& entry(const std::string& model_name, const char* family) {
    auto it = table().find(model_name);
    if (it == table().end())
        fail("timm model '", cj::describe_key(model_name), "' is not supported; cliprt builds ",
             timm_supported_families());
    const std::string found = it->value("family", "");
    if (family != nullptr && found != family) fail("timm model ", model_name, " is a ", found, ", not a ", family);
    return *it;
}

// The family's architecture parsed from the model's entry; a wrong-typed value in the table is
// one error naming the model.
template <typename Parse>
auto parse_entry(const std::string& model_name, const char* family, Parse parse) {
    const json& j = entry(model_name, family);
    try {
        return parse(model_name, j);
    } catch (const json::exception& e) {
        fail("timm model ", model_name, ": malformed entry in models/timm/timm_archs.json (", e.what(), ")");
    }
}

}  // namespace

std::string timm_family(const std::string& model_name) {
    const json& j = entry(model_name, nullptr);
    const std::string family = j.value("family", "");
    if (family != "vit" && family != "convnext" && family != "eva")
        fail("timm model ", model_name, ": unknown family '", cj::describe_key(family),
             "' in models/timm/timm_archs.json");
    return family;
}

TimmVitArch timm_vit_arch(const std::string& model_name) { return parse_entry(model_name, "vit", parse_vit); }

TimmEvaArch timm_eva_arch(const std::string& model_name) { return parse_entry(model_name, "eva", parse_eva); }

TimmConvNextArch timm_convnext_arch(const std::string& model_name) {
    return parse_entry(model_name, "convnext", parse_convnext);
}

}  // namespace cliprt
