// Unary (alpha * act(x) + beta), tanh and binary (add, mul with numpy broadcast of b) ops.
#include "cliprt/error.h"
#include "vulkan/vulkan_ops.h"
#include "vulkan/vulkan_strides.h"

namespace cliprt::vk {

void record_unary(Recording& r, const NodeArgs& a) {
    const UnaryParams& p = a.node.get<UnaryParams>();
    const uint32_t wg = r.variants().elementwise_wg;
    const int64_t n = a.output.shape.numel();
    const shader::UnaryPush push{push_u32(n), p.alpha, p.beta};
    r.dispatch(a, {Recording::shader(ShaderId::unary, a.output.dtype), {wg, 1, 1, static_cast<uint32_t>(p.act)}},
               {r.read(a.inputs[0]), r.write(a.output)}, push, r.line_for(n, wg));
}

void record_tanh(Recording& r, const NodeArgs& a) {
    const uint32_t wg = r.variants().elementwise_wg;
    const int64_t n = a.output.shape.numel();
    const shader::TanhPush push{push_u32(n)};
    r.dispatch(a, {Recording::shader(ShaderId::tanh, a.output.dtype), {wg, 1, 1}},
               {r.read(a.inputs[0]), r.write(a.output)}, push, r.line_for(n, wg));
}

void record_binary(Recording& r, const NodeArgs& a) {
    const BinaryOp op = a.node.get<BinaryParams>().op;
    const Shape& as = a.inputs[0].shape;
    const Shape& bs = a.inputs[1].shape;
    const StridedLoop loop = merge_dims(as.dims(), {row_major_strides(as), broadcast_strides(as, bs)});
    if (static_cast<int>(loop.dims.size()) > kMaxStridedRank)
        fail("vulkan: binary '", a.node.name, "': broadcast of ", bs, " to ", as, " needs more than ", kMaxStridedRank,
             " dimensions");
    const int64_t n = as.numel();
    const size_t rank = loop.dims.size();
    shader::BinaryPush push{push_u32(n), static_cast<uint32_t>(rank), {}, {}};
    for (size_t d = 0; d < kMaxStridedRank; ++d) {
        push.dims[d] = d < rank ? push_u32(loop.dims[d]) : 1;
        push.b_strides[d] = d < rank ? push_u32(loop.strides[1][d]) : 0;
    }
    const uint32_t wg = r.variants().elementwise_wg;
    r.dispatch(a,
               {Recording::shader(ShaderId::binary, a.output.dtype),
                {wg, 1, 1, op == BinaryOp::Add ? shader::BINARY_ADD : shader::BINARY_MUL}},
               {r.read(a.inputs[0]), r.read(a.inputs[1]), r.write(a.output)}, push, r.line_for(n, wg));
}

}  // namespace cliprt::vk
