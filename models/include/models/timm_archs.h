// The timm trunks cliprt builds for open_clip's TimmModel towers (vision_cfg.timm_model_name), as
// timm constructs them: models/timm/timm_archs.json, written from timm's own modules by
// tools/make_timm_archs.py and compiled in.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cliprt/graph.h"

namespace cliprt {

// timm.models.vision_transformer.VisionTransformer with timm's Block / Attention / Mlp.
struct TimmVitArch {
    std::string name;
    int img_h = 224, img_w = 224, patch_h = 16, patch_w = 16;
    int width = 768, depth = 12, heads = 12, mlp_hidden = 3072;
    Activation act = Activation::Gelu;
    float norm_eps = 1e-6f;
    bool qkv_bias = true, qk_norm = false, layer_scale = false, patch_bias = true;
    bool class_token = true;
    int reg_tokens = 0;
    bool no_embed_class = false, pos_embed = true, pre_norm = false, final_norm = true;
    std::optional<bool> fc_norm;  // unset: timm puts the final norm after avg/avgmax/max pools
    std::string default_pool = "token";
    bool pool_include_prefix = false;  // avg / map over the prefix tokens too
    // The map head (AttentionPoolLatent) timm builds when the pool is 'map'.
    int map_heads = 12, map_mlp_hidden = 3072;
    bool map_qkv_bias = true;
    float map_norm_eps = 1e-6f;

    int prefix_tokens() const { return (class_token ? 1 : 0) + reg_tokens; }
};

// What open_clip's TimmModel makes of a trunk for its timm_pool / timm_proj (timm_model.py): with
// a linear / mlp projection the trunk is built with its own pool and reset_classifier(0, pool);
// otherwise it is built with global_pool = pool and a classifier of embed_dim (0 for 'none').
struct TimmVitHead {
    std::string pool;       // the pool forward_head runs: '', token, avg, map
    bool norm_before_pool;  // trunk.norm
    bool fc_norm;           // trunk.fc_norm, after the pool
    bool map_head;          // trunk.attn_pool exists (built only when constructed with 'map')
    int trunk_classes = 0;  // trunk.head Linear(width, embed_dim) with bias when > 0
    std::string proj;       // open_clip head: linear (head.proj), mlp (head.mlp), or none
    bool proj_bias = false;
};
// Errors (naming `where`) are the ones timm or open_clip raise for the combination.
TimmVitHead resolve_timm_vit_head(const TimmVitArch& arch, const std::string& pool, const std::string& proj,
                                  bool proj_bias, int embed_dim, const std::string& where);

// The architecture of a timm model name; an Error naming the model and the supported families otherwise.
TimmVitArch timm_vit_arch(const std::string& model_name);
std::vector<std::string> timm_model_names();
// "timm VisionTransformer (vit_*_siglip_*, ...)": what the error for an unknown name lists.
std::string timm_supported_families();

}  // namespace cliprt
