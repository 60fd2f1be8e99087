// Conv2d as an implicit GEMM (conv2d.comp over gemm.glsl): output channels x output pixels, with
// the kernel geometry as specialization constants and bias / residual / activation fused; grouped
// (depthwise) convolutions as a direct loop per output element (grouped_conv2d.comp).
#include "vulkan/vulkan_gemm.h"
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

void record_conv2d(Recording& r, const NodeArgs& a) {
    const Conv2dView c = conv2d_view(a);
    const Conv2dParams& p = c.params;
    const TensorArg& x = c.x;
    const TensorArg& w = c.w;
    const TensorArg& bias = c.bias ? *c.bias : x;  // unused bindings get x
    const TensorArg& residual = c.residual ? *c.residual : x;
    const int64_t pixels = c.batch * c.out_h * c.out_w;
    const int64_t k = c.in_channels * c.kernel_h * c.kernel_w;
    const KernelVariants& v = r.variants();
    // Weight rows are K-contiguous (four k per texel when K % 4 == 0); input pixels are gathered.
    const bool vec4 = k % 4 == 0;
    const bool texel = r.texel_ok(x, false) && r.texel_ok(w, vec4);
    std::vector<uint32_t> spec = gemm_spec(v);
    for (int value :
         {static_cast<int>(c.kernel_h), static_cast<int>(c.kernel_w), p.stride_h, p.stride_w, p.pad_h, p.pad_w})
        spec.push_back(static_cast<uint32_t>(value));
    spec.push_back(texel && vec4 ? 1u : 0u);
    const GemmEpilogue e = gemm_epilogue(p.act, c.bias != nullptr, c.residual != nullptr);
    const shader::Conv2dPush push{push_u32(c.out_channels),
                                  push_u32(pixels),
                                  push_u32(k),
                                  push_u32(c.in_channels),
                                  push_u32(c.in_h),
                                  push_u32(c.in_w),
                                  push_u32(c.out_h),
                                  push_u32(c.out_w),
                                  e.act,
                                  e.flags};
    r.dispatch(a, {Recording::shader(ShaderId::conv2d, a.output.dtype, texel), std::move(spec)},
               {texel ? r.texel(x, false) : r.read(x), texel ? r.texel(w, vec4) : r.read(w), r.read(bias),
                r.read(residual), r.write(a.output)},
               push, gemm_grid(v, c.out_channels, pixels));
}

void record_grouped_conv2d(Recording& r, const NodeArgs& a) {
    const Conv2dView c = conv2d_view(a);
    const Conv2dParams& p = c.params;
    const TensorArg& bias = c.bias ? *c.bias : c.x;  // unused bindings get x
    const TensorArg& residual = c.residual ? *c.residual : c.x;
    const GemmEpilogue e = gemm_epilogue(p.act, c.bias != nullptr, c.residual != nullptr);
    const shader::GroupedConv2dPush push{push_u32(c.batch),
                                         push_u32(c.in_channels),
                                         push_u32(c.in_h),
                                         push_u32(c.in_w),
                                         push_u32(c.out_channels),
                                         push_u32(c.out_h),
                                         push_u32(c.out_w),
                                         push_u32(c.kernel_h),
                                         push_u32(c.kernel_w),
                                         push_u32(p.stride_h),
                                         push_u32(p.stride_w),
                                         push_u32(p.pad_h),
                                         push_u32(p.pad_w),
                                         push_u32(c.in_channels / p.groups),
                                         push_u32(c.out_channels / p.groups),
                                         e.act,
                                         e.flags};
    const uint32_t wg = r.variants().elementwise_wg;
    r.dispatch(a, {Recording::shader(ShaderId::grouped_conv2d, a.output.dtype), {wg, 1, 1}},
               {r.read(c.x), r.read(c.w), r.read(bias), r.read(residual), r.write(a.output)}, push,
               r.line_for(static_cast<uint64_t>(a.output.shape.numel()), wg));
}

}  // namespace cliprt::vk
