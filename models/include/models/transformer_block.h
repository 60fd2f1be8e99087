// open_clip's ResidualAttentionBlock and CustomResidualAttentionBlock as graph nodes.
#pragma once

#include <string>

#include "models/model_config.h"
#include "models/model_weights.h"

namespace cliprt {

// Adds one block to the graph: x [B, L, width] -> [B, L, width].
// prefix is the block's state-dict prefix, e.g. "visual.transformer.resblocks.3".
// With first_token_only (not causal) the output is the first token's alone, [B, 1, width]: what
// the last block of a tower that pools its class token needs (keys and values from every token).
ValueId transformer_block(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId x, int heads,
                          const BlockConfig& block, bool causal, double mlp_ratio, bool first_token_only = false);

// LayerNorm whose weight and bias are `prefix.weight` / `prefix.bias` of size `width`.
ValueId layer_norm(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId x, int64_t width, float eps);

}  // namespace cliprt
