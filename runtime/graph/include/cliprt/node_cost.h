// Work and traffic of a graph's nodes: floating-point operations and bytes moved per forward, for
// benchmarks (GFLOP/s, the fraction of the machine's FMA peak) and profiles.
//
// FLOPs follow the usual convention for model sizes (one multiply-add = 2 FLOPs, epilogues free):
//   Linear     2 * M * N * K            (M rows of x, W [N, K])
//   Conv2d     2 * B * O * OH * OW * I * kh * kw (GroupedConv2d: I / groups)
//   Attention  4 * B * H * Lq * Lk * D  (q k^T and p v; the full Lq x Lk even when causal)
//   LayerNorm, Unary, Binary, Softmax, L2Normalize, AvgPool2d, TokenPool Mean: one per element read
//   Embedding, Concat, Permute, TokenPool First/Last/Argmax/Eos, Reshape: none (data movement)
// Bytes are the sizes of the tensors a node reads and writes once each (weights included, fused
// attention's scores excluded); gathers count the rows they touch, a Reshape moves nothing.
#pragma once

#include <cstdint>

#include "cliprt/graph.h"

namespace cliprt {

struct NodeCost {
    int64_t flops = 0;
    int64_t bytes = 0;
};

// float_storage: the element type a backend keeps float activations and weights in (f32, f16).
NodeCost node_cost(const Graph& graph, const Node& node, DType float_storage = DType::F32);
// The sum over every node of the graph.
NodeCost graph_cost(const Graph& graph, DType float_storage = DType::F32);

}  // namespace cliprt
