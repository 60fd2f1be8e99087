// Conv2d as an implicit GEMM (conv2d.comp over gemm.glsl): output channels x output pixels, with
// the kernel geometry as specialization constants and bias / residual / activation fused.
#include "vulkan/vulkan_gemm.h"
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

void record_conv2d(Recording& r, const NodeArgs& a) {
    const Conv2dParams& p = a.node.get<Conv2dParams>();
    const TensorArg& x = a.inputs[0];
    const TensorArg& w = a.inputs[1];
    size_t next = 2;
    const TensorArg& bias = p.has_bias ? a.inputs[next++] : x;
    const TensorArg& residual = p.has_residual ? a.inputs[next++] : x;
    const Shape& xs = x.shape;
    const Shape& ws = w.shape;
    const Shape& ys = a.output.shape;
    const int64_t pixels = ys[0] * ys[2] * ys[3];
    const int64_t k = ws[1] * ws[2] * ws[3];
    const KernelVariants& v = r.variants();
    // Weight rows are K-contiguous (four k per texel when K % 4 == 0); input pixels are gathered.
    const bool vec4 = k % 4 == 0;
    const bool texel = r.texel_ok(x, false) && r.texel_ok(w, vec4);
    std::vector<uint32_t> spec = gemm_spec(v);
    for (int value : {static_cast<int>(ws[2]), static_cast<int>(ws[3]), p.stride_h, p.stride_w, p.pad_h, p.pad_w})
        spec.push_back(static_cast<uint32_t>(value));
    spec.push_back(texel && vec4 ? 1u : 0u);
    Push push;
    push.u(ws[0]).u(pixels).u(k).u(xs[1]).u(xs[2]).u(xs[3]).u(ys[2]).u(ys[3]);
    push_epilogue(push, p.act, p.has_bias, p.has_residual);
    r.dispatch(a, {Recording::shader("conv2d", a.output.dtype, texel), std::move(spec)},
               {texel ? r.texel(x, false) : r.read(x), texel ? r.texel(w, vec4) : r.read(w), r.read(bias), r.read(residual),
                r.write(a.output)},
               push, gemm_grid(v, ws[0], pixels));
}

}  // namespace cliprt::vk
