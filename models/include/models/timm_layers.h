// Layers the timm trunk builders share (timm_vision_transformer.cpp, timm_convnext.cpp, timm_eva.cpp).
#pragma once

#include <string>
#include <vector>

#include "models/model_config.h"
#include "models/model_weights.h"
#include "models/timm_archs.h"

namespace cliprt {

// nn.Linear `name` (name.weight [out, in], name.bias [out] when `bias`), with an optional fused
// activation and residual.
ValueId timm_linear(Graph& g, ModelWeights& w, const std::string& name, ValueId x, int64_t out, int64_t in, bool bias,
                    Activation act = Activation::None, ValueId residual = -1);

// A Linear with bias whose output timm's LayerScale multiplies by `gamma` ([out]), folded into the
// weight and bias at load time; gamma empty: no LayerScale.
ValueId timm_scaled_linear(Graph& g, ModelWeights& w, const std::string& name, ValueId x, int64_t out, int64_t in,
                           const std::string& gamma, ValueId residual);

// Rows [part * rows, (part + 1) * rows) of a packed weight [parts * rows, in] or bias [parts * rows]
// (timm's qkv and kv Linears).
ValueId timm_packed_part(Graph& g, ModelWeights& w, const std::string& name, const Shape& shape, int parts, int part);

// timm's RotaryEmbeddingCat table (in_pixels False, interleaved pairs) as rows [prefix + h * w, width]
// of cos or sin: the first `prefix` rows (class / mean tokens) are not rotated (cos 1, sin 0); token
// (i, j) of the h x w grid has positions t = (i / h * ref_h, j / w * ref_w) in float32 as timm's grid
// (t = (i, j) when ref_h is 0), and channel c of a head of head_dim rotates the pair (c & ~1, c | 1)
// by t[axis] * band_k, band_k = temperature^(-k / (head_dim / 4)), with f = (c % head_dim) / 2,
// axis = f / (head_dim / 4), k = f % (head_dim / 4).
Tensor timm_rotary_table(int64_t h, int64_t w, int64_t prefix, int64_t width, int64_t head_dim, int ref_h, int ref_w,
                         float temperature, bool sine);

// vision_cfg timm_custom_head over the pooled trunk features x [B, width] (weights
// prefix + <layer name>.*); its output must be embed_dim wide.
ValueId timm_custom_head(Graph& g, ModelWeights& w, const std::string& prefix, ValueId x,
                         const std::vector<TimmHeadLayer>& layers, int embed_dim);

// timm VisionTransformer's embedding, which Eva shares (timm_vision_transformer.cpp): PatchEmbed
// (a strided convolution), the class / register tokens, pos_embed, norm_pre; weights under `trunk`
// ("visual.trunk."). image [B, 3, H, W] -> tokens [B, prefix + grid, width].
ValueId timm_vit_tokens(Graph& g, ModelWeights& w, const std::string& trunk, ValueId image, const TimmVitArch& a);

// What follows the blocks of a timm VisionTransformer or Eva (timm_vision_transformer.cpp): the final
// norm, the pool, fc_norm and the trunk's classifier as `head` resolves them, then open_clip's head
// (weights prefix + "head.*") or vision_cfg's custom head. tokens [B, L, width] -> [B, embed_dim].
ValueId timm_vit_head(Graph& g, ModelWeights& w, const std::string& prefix, ValueId x, const TimmVitArch& a,
                      const TimmVitHead& head, const VisionConfig& c, int embed_dim);

}  // namespace cliprt
