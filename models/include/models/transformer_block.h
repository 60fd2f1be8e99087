// open_clip's ResidualAttentionBlock and CustomResidualAttentionBlock as graph nodes.
#pragma once

#include <string>

#include "models/model_config.h"
#include "models/model_weights.h"

namespace cliprt {

// Adds one block to the graph: x [B, L, width] -> [B, L, width].
// prefix is the block's state-dict prefix, e.g. "visual.transformer.resblocks.3".
ValueId transformer_block(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId x, int heads,
                          const BlockConfig& block, bool causal, double mlp_ratio);

// LayerNorm whose weight and bias are `prefix.weight` / `prefix.bias` of size `width`.
ValueId layer_norm(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId x, int64_t width, float eps);

}  // namespace cliprt
