// The per-op recorders the CPU backend dispatches to: each turns one node, with the places of its
// inputs and output, into a step of the program. Each is defined next to its op family's kernels.
#pragma once

#include <functional>
#include <vector>

#include "cliprt/backend.h"
#include "cliprt/op_args.h"
#include "cpu/cpu_backend.h"
#include "cpu/cpu_buffer.h"
#include "cpu/thread_pool.h"

namespace cliprt::cpu {

// The node's places (cliprt/op_args.h) and the pool its step runs on.
struct NodeArgs : cliprt::NodeArgs {
    ThreadPool& pool;
};

// The step of any node but a Reshape (a view, which has none).
Step record_node(const NodeArgs& args);

Step record_linear(const NodeArgs& args);
Step record_conv2d(const NodeArgs& args);
Step record_grouped_conv2d(const NodeArgs& args);
Step record_avg_pool2d(const NodeArgs& args);
Step record_layer_norm(const NodeArgs& args);
Step record_attention(const NodeArgs& args);
Step record_unary(const NodeArgs& args);
Step record_binary(const NodeArgs& args);
Step record_embedding(const NodeArgs& args);
Step record_concat(const NodeArgs& args);
Step record_permute(const NodeArgs& args);
Step record_token_pool(const NodeArgs& args);
Step record_l2_normalize(const NodeArgs& args);
Step record_softmax(const NodeArgs& args);
Step record_tanh(const NodeArgs& args);

}  // namespace cliprt::cpu
