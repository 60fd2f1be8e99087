// The per-op recorders: each appends the dispatches of one node to a Recording. Each is defined
// in its op family's file (vulkan_linear.cpp, vulkan_attention.cpp, ...).
#pragma once

#include <optional>
#include <string>

#include "vulkan/vulkan_recording.h"

namespace cliprt::vk {

void record_linear(Recording& r, const NodeArgs& a);
void record_conv2d(Recording& r, const NodeArgs& a);
void record_grouped_conv2d(Recording& r, const NodeArgs& a);
void record_avg_pool2d(Recording& r, const NodeArgs& a);
void record_layer_norm(Recording& r, const NodeArgs& a);
void record_attention(Recording& r, const NodeArgs& a);
void record_unary(Recording& r, const NodeArgs& a);
void record_binary(Recording& r, const NodeArgs& a);
void record_embedding(Recording& r, const NodeArgs& a);
void record_concat(Recording& r, const NodeArgs& a);
void record_permute(Recording& r, const NodeArgs& a);
void record_token_pool(Recording& r, const NodeArgs& a);
void record_l2_normalize(Recording& r, const NodeArgs& a);
void record_softmax(Recording& r, const NodeArgs& a);
void record_tanh(Recording& r, const NodeArgs& a);

// Op-specific limits of the shaders (empty when the node is fine).
std::optional<std::string> attention_unsupported(const Graph& graph, const Node& node);
std::optional<std::string> strided_unsupported(const Graph& graph, const Node& node);

}  // namespace cliprt::vk
