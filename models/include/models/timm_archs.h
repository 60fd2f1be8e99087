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

// timm.models.eva.Eva (EVA01 / EVA02 as open_clip's EVA configs use it): the VisionTransformer's
// patch embedding, class token, positions, pools and norms (the base), with EvaBlocks: q / k / v
// either as one qkv Linear without bias plus q_bias / v_bias parameters (k's bias is zero) or as
// q_proj / k_proj / v_proj (k without bias); RotaryEmbeddingCat over the patch tokens; LayerNorm of
// the attention output (scale_attn_inner); the Mlp (act) or SwiGLU (fc1_g, fc1_x, SiLU gate), with
// LayerNorm of its hidden layer (scale_mlp); pre-norm or post-norm (EvaBlockPostNorm) residuals.
struct TimmEvaArch : TimmVitArch {
    bool qkv_fused = false, attn_norm = false, swiglu = false, mlp_norm = false, post_norm = false;
    // RotaryEmbeddingCat(head_dim, in_pixels False): token (i, j) of the h x w grid, position
    // t = (i / h * ref_h, j / w * ref_w) (t = (i, j) without a reference shape), interleaved pairs.
    bool rope = false;
    int rope_ref_h = 0, rope_ref_w = 0;  // 0: none
    float rope_temperature = 10000.0f;
};

// timm.models.convnext.ConvNeXt with the patchify stem and ConvNeXtBlocks (7x7 depthwise
// convolution, LayerNorm over channels, Mlp, LayerScale gamma), and NormMlpClassifierHead (pool,
// LayerNorm2d, classifier).
struct TimmConvNextStage {
    int depth = 1, dim = 96, kernel = 7, mlp_hidden = 384;
};
struct TimmConvNextArch {
    std::string name;
    int patch = 4;                          // stem: Conv2d(3, dims[0], patch, stride patch) + LayerNorm2d
    std::vector<TimmConvNextStage> stages;  // stages 1.. start with LayerNorm2d + Conv2d(2, stride 2)
    Activation act = Activation::Gelu;
    float norm_eps = 1e-6f;
    bool conv_bias = true, layer_scale = true;
    std::string default_pool = "avg";
    int pool_h = 0, pool_w = 0;  // default_cfg pool_size (0: none), open_clip's abs_attn feat_size

    int num_features() const { return stages.back().dim; }
    // The smallest image every stage still has a pixel of.
    int min_image_size() const { return patch << (stages.size() - 1); }
};

// What open_clip's TimmModel makes of a ConvNeXt (timm_model.py): with a linear / mlp projection
// the trunk keeps its head's avg pool and norm (reset_classifier(0)); otherwise it is built with
// global_pool = pool and a classifier trunk.head.fc of embed_dim (none for 'none').
struct TimmConvNextHead {
    // timm_pool abs_attn / rot_attn: the trunk is reset to no pool (head.norm over the feature
    // map) and open_clip's head starts with timm's AttentionPool2d / RotAttentionPool2d (head.pool)
    // of embed_dim outputs; empty otherwise.
    std::string attn_pool;
    int trunk_classes = 0;  // trunk.head.fc Linear(num_features, embed_dim) with bias when > 0
    std::string proj;       // open_clip head: linear (head.proj), mlp (head.mlp), or none
    bool proj_bias = false;
};
// timm's AttentionPool2d and RotAttentionPool2d as open_clip builds them: head_dim 64.
inline constexpr int kTimmAttnPoolHeadDim = 64;
TimmConvNextHead resolve_timm_convnext_head(const TimmConvNextArch& arch, const std::string& pool,
                                            const std::string& proj, bool proj_bias, int embed_dim,
                                            const std::string& where);

// The family of a timm model name ("vit", "convnext" or "eva"); an Error naming the model and the
// supported families when cliprt does not build it.
std::string timm_family(const std::string& model_name);
// The architecture of a timm model name; an Error naming the model and the supported families otherwise
// (or the family it belongs to when it is another one).
TimmVitArch timm_vit_arch(const std::string& model_name);
TimmConvNextArch timm_convnext_arch(const std::string& model_name);
TimmEvaArch timm_eva_arch(const std::string& model_name);
std::vector<std::string> timm_model_names();
// "timm VisionTransformer (vit_*_siglip_*, ...)": what the error for an unknown name lists.
std::string timm_supported_families();

}  // namespace cliprt
