// Linear: a GEMM with bias, residual and activation fused into the epilogue (linear.comp over
// gemm.glsl). The tile shape comes from the device's KernelVariants.
#include "vulkan/vulkan_gemm.h"
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

void record_linear(Recording& r, const NodeArgs& a) {
    const LinearParams& p = a.node.get<LinearParams>();
    const TensorArg& x = a.inputs[0];
    const TensorArg& w = a.inputs[1];
    const int64_t k = w.shape[1];
    const int64_t n = w.shape[0];
    const int64_t m = k > 0 ? x.shape.numel() / k : 0;
    size_t next = 2;
    const TensorArg& bias = p.has_bias ? a.inputs[next++] : x;
    const TensorArg& residual = p.has_residual ? a.inputs[next++] : x;
    const KernelVariants& v = r.variants();
    r.dispatch(a, {Recording::shader("linear", a.output.dtype), gemm_spec(v, p.act, p.has_bias, p.has_residual)},
               {r.read(x), r.read(w), r.read(bias), r.read(residual), r.write(a.output)}, Push().u(m).u(n).u(k),
               gemm_grid(v, m, n));
}

}  // namespace cliprt::vk
