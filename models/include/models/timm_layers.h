// Layers the timm trunk builders share (timm_vision_transformer.cpp, timm_convnext.cpp).
#pragma once

#include <string>
#include <vector>

#include "models/model_config.h"
#include "models/model_weights.h"

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

// vision_cfg timm_custom_head over the pooled trunk features x [B, width] (weights
// prefix + <layer name>.*); its output must be embed_dim wide.
ValueId timm_custom_head(Graph& g, ModelWeights& w, const std::string& prefix, ValueId x,
                         const std::vector<TimmHeadLayer>& layers, int embed_dim);

}  // namespace cliprt
