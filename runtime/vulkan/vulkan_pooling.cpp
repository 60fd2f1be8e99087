// Pooling: avg_pool2d over NCHW planes, and token pooling [B, L, W] -> [B, W].
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

void record_avg_pool2d(Recording& r, const NodeArgs& a) {
    const AvgPool2dParams& p = a.node.get<AvgPool2dParams>();
    const Shape& in = a.inputs[0].shape;
    const Shape& out = a.output.shape;
    const uint32_t wg = r.variants().elementwise_wg;
    const shader::AvgPool2dPush push{push_u32(in[0] * in[1]), push_u32(in[2]),      push_u32(in[3]),
                                     push_u32(out[2]),        push_u32(out[3]),     push_u32(p.kernel_h),
                                     push_u32(p.kernel_w),    push_u32(p.stride_h), push_u32(p.stride_w)};
    r.dispatch(a, {Recording::shader(ShaderId::avg_pool2d, a.output.dtype), {wg, 1, 1}},
               {r.read(a.inputs[0]), r.write(a.output)}, push, r.line_for(static_cast<uint64_t>(out.numel()), wg));
}

void record_token_pool(Recording& r, const NodeArgs& a) {
    const TokenPoolView t = token_pool_view(a);
    const TokenPoolParams& p = t.params;
    const uint32_t wg = r.variants().elementwise_wg;
    const shader::TokenPoolPush push{push_u32(t.batch), push_u32(t.len), push_u32(t.width), push_i32(p.eos_id),
                                     push_u32(p.mean_start)};
    r.dispatch(a, {Recording::shader(ShaderId::token_pool, a.output.dtype), {wg, 1, 1, static_cast<uint32_t>(p.mode)}},
               {r.read(t.x), r.read(t.ids ? *t.ids : t.x), r.write(a.output)}, push,  // unused ids binding gets x
               r.line_for(static_cast<uint64_t>(t.batch * t.width), wg));
}

}  // namespace cliprt::vk
