// Linear: a GEMM with bias, residual and activation fused into the epilogue (linear.comp over
// gemm.glsl). The tile shape comes from the device's KernelVariants.
#include "vulkan/vulkan_gemm.h"
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

void record_linear(Recording& r, const NodeArgs& a) {
    const LinearView l = linear_view(a);
    const LinearParams& p = l.params;
    const TensorArg& x = l.x;
    const TensorArg& w = l.w;
    const int64_t m = l.m, n = l.n, k = l.k;
    const TensorArg& bias = l.bias ? *l.bias : x;  // unused bindings get x
    const TensorArg& residual = l.residual ? *l.residual : x;
    const KernelVariants& v = r.variants();
    // x and w rows are K-contiguous: four k per texel when rows start on texel boundaries.
    const bool vec4 = k % 4 == 0;
    const bool texel = r.texel_ok(x, vec4) && r.texel_ok(w, vec4);
    std::vector<uint32_t> spec = gemm_spec(v);
    spec.push_back(texel && vec4 ? 1u : 0u);
    const GemmEpilogue e = gemm_epilogue(p.act, l.bias != nullptr, l.residual != nullptr);
    const shader::LinearPush push{push_u32(m), push_u32(n), push_u32(k), e.act, e.flags};
    r.dispatch(a, {Recording::shader(ShaderId::linear, a.output.dtype, texel), std::move(spec)},
               {texel ? r.texel(x, vec4) : r.read(x), texel ? r.texel(w, vec4) : r.read(w), r.read(bias),
                r.read(residual), r.write(a.output)},
               push, gemm_grid(v, m, n));
}

}  // namespace cliprt::vk
