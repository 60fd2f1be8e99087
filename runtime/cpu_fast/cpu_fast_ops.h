// The per-op recorders of the fast CPU backend. Each returns the step that runs its node, or an
// empty step when the node has a form the fast kernels do not cover (the backend then records the
// reference kernel for it). Each is defined next to its op family's code, in cpu_fast_<family>.cpp.
#pragma once

#include <vector>

#include "cliprt/backend.h"
#include "cliprt/op_args.h"
#include "cpu/cpu_ops.h"
#include "cpu_fast/cpu_fast_kernels.h"
#include "cpu_fast/cpu_fast_packing.h"

namespace cliprt::cpu_fast {

using cpu::Step;

// The node's places (cliprt/op_args.h) and what the fast recorders add.
struct FastArgs : cliprt::NodeArgs {
    const Graph& graph;
    cpu::ThreadPool& pool;
    const Kernels& kernels;
    PackCache& packs;
    WeightFormat weights;  // how Linear and Conv2d weights are packed
};

// The buffer id of a fast-backend buffer (for the pack cache).
uint64_t buffer_id(const TensorArg& arg);

Step record_linear(const FastArgs& args);
Step record_conv2d(const FastArgs& args);
Step record_grouped_conv2d(const FastArgs& args);  // cpu_fast_grouped_conv2d.cpp
Step record_attention(const FastArgs& args);
Step record_layer_norm(const FastArgs& args);
Step record_softmax(const FastArgs& args);
Step record_l2_normalize(const FastArgs& args);
Step record_unary(const FastArgs& args);
Step record_binary(const FastArgs& args);
Step record_avg_pool2d(const FastArgs& args);  // cpu_fast_pooling.cpp

}  // namespace cliprt::cpu_fast
