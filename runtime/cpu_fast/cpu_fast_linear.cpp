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
    if (!is_constant(a.graph, a.node.inputs[1])) return {};  // weights computed by the graph: not packed
    const LinearView v = linear_view(a);
    const float* x = cpu::f32_data(v.x);
    const float* w = cpu::f32_data(v.w);
    GemmEpilogue ep;
    ep.act = v.params.act;
    if (v.bias != nullptr) ep.bias = cpu::f32_data(*v.bias);
    if (v.residual != nullptr) {
        ep.residual = cpu::f32_data(*v.residual);
        ep.ldr = v.n;
    }
    float* y = cpu::f32_data(a.output);
    std::shared_ptr<const PackedWeights> packed =
        a.packs.get(buffer_id(v.w), v.w.offset, w, v.n, v.k, a.kernels.gemm_nr, a.weights);
    return [&pool = a.pool, &kernels = a.kernels, packed, x, y, m = v.m, n = v.n, k = v.k, ep] {
        parallel_gemm_packed(pool, kernels, *packed, m, x, k, y, n, ep);
    };
}

}  // namespace cliprt::cpu_fast
