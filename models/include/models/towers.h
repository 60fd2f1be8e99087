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
// open_clip's TimmModel with a timm ConvNeXt trunk (weights visual.trunk.*, visual.head.*).
ValueId timm_convnext(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId image,
                      const VisionConfig& config, int embed_dim);
// open_clip's TimmModel with a timm Eva trunk (EVA01 / EVA02; weights visual.trunk.*, visual.head.*).
ValueId timm_eva(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId image,
                 const VisionConfig& config, int embed_dim);
// vision_cfg prenorm_vit: seed 003's pre-norm ViT under its own weight names (prenorm_vit.cpp).
ValueId prenorm_vit(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId image,
                    const VisionConfig& config, int embed_dim);
ValueId modified_resnet(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId image,
                        const VisionConfig& config, int embed_dim);
// ids [B, L <= context_length] (i32) -> features [B, embed_dim] (or [B, width] without projection).
ValueId text_transformer(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId ids,
                         const TextConfig& config, int embed_dim);
// The token open_clip's text tower pools (text_cfg pool_type: first, last, argmax, else eos).
TokenPoolParams text_pool(const TextConfig& config);
// A Hugging Face BERT / RoBERTa / XLM-R encoder (transformers' weight names after `prefix`):
// ids and attention mask [B, L] (i32) -> last hidden state [B, L, hidden_size].
ValueId hf_encoder(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId ids, ValueId mask,
                   const HfEncoderConfig& config);
// open_clip's HFTextEncoder: the encoder (under prefix + hf_weights_prefix), its pooler and the
// projection (prefix + "proj"), and sentence-transformers' Normalize when the config asks ->
// [B, embed_dim] ([B, hidden_size] without projection).
ValueId hf_text_tower(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId ids, ValueId mask,
                      const TextConfig& config, int embed_dim);

}  // namespace cliprt
