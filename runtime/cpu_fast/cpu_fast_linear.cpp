// Linear: y = act(x @ W^T + b + residual) as one GEMM with the epilogue fused, the weights packed
// into panels once when the program is recorded (f32, or bf16 with --dtype bf16).
#include "cpu/cpu_buffer.h"
#include "cpu_fast/cpu_fast_gemm.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt::cpu_fast {

bool is_constant(const Graph& graph, ValueId id) {
    return graph.value(graph.storage_root(id)).kind == ValueKind::Constant;
}

Step record_linear(const FastArgs& a) {
    const LinearParams p = a.node.get<LinearParams>();
    if (!is_constant(a.graph, a.node.inputs[1])) return {};  // weights computed by the graph: not packed
    const Shape& w_shape = a.inputs[1].shape;
    const int64_t n = w_shape[0];
    const int64_t k = w_shape[1];
    const int64_t m = row_count(a.inputs[0].shape);
    const float* x = cpu::f32_data(a.inputs[0]);
    const float* w = cpu::f32_data(a.inputs[1]);
    size_t next = 2;
    GemmEpilogue ep;
    ep.act = p.act;
    if (p.has_bias) ep.bias = cpu::f32_data(a.inputs[next++]);
    if (p.has_residual) {
        ep.residual = cpu::f32_data(a.inputs[next++]);
        ep.ldr = n;
    }
    float* y = cpu::f32_data(a.output);
    std::shared_ptr<const PackedWeights> packed =
        a.packs.get(buffer_id(a.inputs[1]), a.inputs[1].offset, w, n, k, a.kernels.gemm_nr, a.weights);
    return [&pool = a.pool, &kernels = a.kernels, packed, x, y, m, n, k, ep] {
        parallel_gemm_packed(pool, kernels, *packed, m, x, k, y, n, ep);
    };
}

}  // namespace cliprt::cpu_fast
