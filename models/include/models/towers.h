// The image and text towers of open_clip's CLIP, each adding its nodes to a graph.
// Weight names are open_clip's state-dict names; `prefix` is "visual." for the image tower and
// "" (CLIP) or "text." (CustomTextCLIP) for the text tower.
#pragma once

#include <string>

#include "models/model_config.h"
#include "models/model_weights.h"

namespace cliprt {

// image [B, 3, S, S] -> features [B, embed_dim] (or [B, tokens, embed_dim] for pool_type none).
ValueId vision_transformer(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId image,
                           const VisionConfig& config, int embed_dim);
// open_clip's TimmModel with a timm VisionTransformer trunk (weights visual.trunk.*, visual.head.*).
ValueId timm_vision_transformer(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId image,
                                const VisionConfig& config, int embed_dim);
ValueId modified_resnet(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId image,
                        const VisionConfig& config, int embed_dim);
// ids [B, context_length] (i32) -> features [B, embed_dim] (or [B, width] without projection).
ValueId text_transformer(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId ids,
                         const TextConfig& config, int embed_dim);

}  // namespace cliprt
