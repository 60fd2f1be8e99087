// The per-op recorders the CPU backend dispatches to: each turns one node, with the places of its
// inputs and output, into a step of the program. Each is defined next to its op family's kernels.
#pragma once

#include <functional>
#include <vector>

#include "cliprt/backend.h"
#include "cpu/cpu_buffer.h"
#include "cpu/thread_pool.h"

namespace cliprt::cpu {

struct NodeArgs {
    const Node& node;
    std::vector<TensorArg> inputs;  // in node.inputs order
    TensorArg output;
    ThreadPool& pool;
};

using Step = std::function<void()>;

// Product of all dimensions but the last: the number of rows an op over the last dimension sees.
inline int64_t outer_size(const Shape& shape) {
    int64_t rows = 1;
    for (int d = 0; d + 1 < shape.rank(); ++d) rows *= shape[d];
    return rows;
}

// The step of any node but a Reshape (a view, which has none).
Step record_node(const NodeArgs& args);

Step record_linear(const NodeArgs& args);
Step record_conv2d(const NodeArgs& args);
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

}  // namespace cliprt::cpu
