// How the CUDA backend records a graph: each node becomes a Step, a closure that enqueues the
// node's kernel launches (or its cuBLASLt matmul) on a stream. CudaBackend::record() builds every
// step first (cuBLASLt descriptors and algorithm choice happen there, outside any capture), then
// runs them once under stream capture; the resulting CUDA graph is what Program::run() replays.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cliprt/backend.h"
#include "cliprt/op_args.h"
#include "kernels.h"

namespace cliprt::cuda {

// What every node's recording shares.
struct RecordContext {
    Storage storage = Storage::F32;
    cublasLtHandle_t lt = nullptr;
    void* workspace = nullptr;  // cuBLASLt scratch; one stream, so all matmuls share it
    size_t workspace_bytes = 0;
};

// The node's places (cliprt/op_args.h) and what the CUDA recording adds.
struct NodeArgs : cliprt::NodeArgs {
    const RecordContext& context;
    int* error_position = nullptr;  // Embedding: this node's out-of-range report slot
};

struct Step {
    std::function<void(cudaStream_t)> enqueue;  // empty for views (Reshape)
    int kernels = 0;                            // launches per run, for Program::dispatch_count()
};

// Linear through cuBLASLt (linear_cublaslt.cpp).
Step record_linear(const NodeArgs& args);
// Every other op through the kernels of kernels.h (record_ops.cpp).
Step record_kernel_op(const NodeArgs& args);
// Empty if the CUDA backend runs the node, else why not (record_ops.cpp).
std::optional<std::string> unsupported_reason(const Graph& graph, const Node& node);

// The kernels' activation and pooling enums mirror the graph's value for value.
inline Act to_act(Activation act) {
    static_assert(static_cast<int>(Act::Sigmoid) == static_cast<int>(Activation::Sigmoid) &&
                  static_cast<int>(Act::QuickGelu) == static_cast<int>(Activation::QuickGelu) &&
                  static_cast<int>(Act::GeluTanh) == static_cast<int>(Activation::GeluTanh) &&
                  static_cast<int>(Act::Gelu) == static_cast<int>(Activation::Gelu) &&
                  static_cast<int>(Act::Relu) == static_cast<int>(Activation::Relu) &&
                  static_cast<int>(Act::None) == static_cast<int>(Activation::None));
    return static_cast<Act>(act);
}

inline Pool to_pool(PoolMode mode) {
    static_assert(static_cast<int>(Pool::First) == static_cast<int>(PoolMode::First) &&
                  static_cast<int>(Pool::Last) == static_cast<int>(PoolMode::Last) &&
                  static_cast<int>(Pool::Argmax) == static_cast<int>(PoolMode::Argmax) &&
                  static_cast<int>(Pool::Eos) == static_cast<int>(PoolMode::Eos) &&
                  static_cast<int>(Pool::Mean) == static_cast<int>(PoolMode::Mean) &&
                  static_cast<int>(Pool::MaskedMean) == static_cast<int>(PoolMode::MaskedMean) &&
                  static_cast<int>(Pool::MaskedMax) == static_cast<int>(PoolMode::MaskedMax));
    return static_cast<Pool>(mode);
}

}  // namespace cliprt::cuda
