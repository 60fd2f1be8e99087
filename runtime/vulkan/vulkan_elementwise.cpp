// Unary (alpha * act(x) + beta) and binary (add, mul with numpy broadcast of b) ops.
#include "cliprt/error.h"
#include "vulkan/vulkan_ops.h"
#include "vulkan/vulkan_strides.h"

namespace cliprt::vk {

void record_unary(Recording& r, const NodeArgs& a) {
    const UnaryParams& p = a.node.get<UnaryParams>();
    const uint32_t wg = r.variants().elementwise_wg;
    const int64_t n = a.output.shape.numel();
    r.dispatch(a, {Recording::shader("unary", a.output.dtype), {wg, 1, 1, static_cast<uint32_t>(p.act)}},
               {r.read(a.inputs[0]), r.write(a.output)}, Push().u(n).f(p.alpha).f(p.beta), r.line_for(n, wg));
}

void record_binary(Recording& r, const NodeArgs& a) {
    const BinaryOp op = a.node.get<BinaryParams>().op;
    const Shape& as = a.inputs[0].shape;
    const Shape& bs = a.inputs[1].shape;
    // b's stride along each of a's axes; 0 where b is broadcast (size 1 or missing).
    std::vector<int64_t> b_strides(static_cast<size_t>(as.rank()), 0);
    int64_t stride = 1;
    for (int i = bs.rank() - 1; i >= 0; --i) {
        if (bs[i] != 1) b_strides[static_cast<size_t>(i + as.rank() - bs.rank())] = stride;
        stride *= bs[i];
    }
    const StridedLoop loop = merge_dims(as.dims(), {row_major_strides(as), b_strides});
    if (static_cast<int>(loop.dims.size()) > kMaxStridedRank)
        fail("vulkan: binary '", a.node.name, "': broadcast of ", bs, " to ", as, " needs more than ", kMaxStridedRank, " dimensions");
    Push push;
    const int64_t n = as.numel();
    push.u(n).u(static_cast<int64_t>(loop.dims.size()));
    for (int d = 0; d < kMaxStridedRank; ++d) push.u(d < static_cast<int>(loop.dims.size()) ? loop.dims[static_cast<size_t>(d)] : 1);
    for (int d = 0; d < kMaxStridedRank; ++d) push.u(d < static_cast<int>(loop.dims.size()) ? loop.strides[1][static_cast<size_t>(d)] : 0);
    const uint32_t wg = r.variants().elementwise_wg;
    r.dispatch(a, {Recording::shader("binary", a.output.dtype), {wg, 1, 1, op == BinaryOp::Add ? 0u : 1u}},
               {r.read(a.inputs[0]), r.read(a.inputs[1]), r.write(a.output)}, push, r.line_for(n, wg));
}

}  // namespace cliprt::vk
