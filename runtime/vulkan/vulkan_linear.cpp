// Linear: a GEMM with bias, residual and activation fused into the epilogue (linear.comp over
// gemm.glsl). The tile shape comes from the device's KernelVariants. Tensors larger than one
// binding are bound in pieces: rows of x, y and residual, output features of w, bias and y; each
// (row piece, feature piece) is one dispatch.
#include <algorithm>
#include <numeric>

#include "cliprt/error.h"
#include "vulkan/vulkan_gemm.h"
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

namespace {

struct Pieces {
    int64_t rows;      // rows of x (and of y) per dispatch
    int64_t features;  // output features (rows of w, columns of y) per dispatch
};

// The largest pieces that fit: all rows and features when every tensor fits one binding; else
// features first (w's rows), then rows, keeping each piece's offsets aligned.
Pieces pieces_of(const Recording& r, const LinearView& l, const TensorArg& y) {
    const DType dt = y.dtype;
    if (r.fits(l.x) && r.fits(l.w) && r.fits(y)) return {l.m, l.n};
    const int64_t feature_step = std::lcm(aligned_rows(r, dt, l.k), aligned_rows(r, dt, 1));
    const int64_t features = rows_per_binding(r, dt, l.k, feature_step, l.n);
    const int64_t row_step = std::lcm(aligned_rows(r, dt, l.k), aligned_rows(r, dt, l.n));
    // A row piece of y spans (rows - 1) * n + features elements: bound by rows * n.
    const int64_t rows =
        std::min(rows_per_binding(r, dt, l.k, row_step, l.m), rows_per_binding(r, dt, l.n, row_step, l.m));
    if (features == 0 || rows == 0) {
        fail("vulkan: linear [", l.m, ", ", l.k, "] x [", l.n, ", ", l.k, "]^T cannot be bound in pieces of at most ",
             r.max_binding(), " bytes");
    }
    return {rows, features};
}

}  // namespace

void record_linear(Recording& r, const NodeArgs& a) {
    const LinearView l = linear_view(a);
    const LinearParams& p = l.params;
    const int64_t m = l.m, n = l.n, k = l.k;
    const KernelVariants& v = r.variants();
    const GemmEpilogue e = gemm_epilogue(p.act, l.bias != nullptr, l.residual != nullptr);
    const Pieces piece = pieces_of(r, l, a.output);
    const bool whole = piece.rows == m && piece.features == n;
    for (int64_t m0 = 0; m0 < m; m0 += piece.rows) {
        const int64_t mc = std::min(piece.rows, m - m0);
        for (int64_t n0 = 0; n0 < n; n0 += piece.features) {
            const int64_t nc = std::min(piece.features, n - n0);
            const TensorArg x = whole ? l.x : span(l.x, m0 * k, mc * k);
            const TensorArg w = whole ? l.w : span(l.w, n0 * k, nc * k);
            // y and residual: rows m0.. from column n0, rows n apart.
            const int64_t y_first = m0 * n + n0, y_count = (mc - 1) * n + nc;
            const TensorArg y = whole ? a.output : span(a.output, y_first, y_count);
            const TensorArg bias = !l.bias ? x : whole ? *l.bias : span(*l.bias, n0, nc);  // unused bindings get x
            const TensorArg residual = !l.residual ? x : whole ? *l.residual : span(*l.residual, y_first, y_count);
            // x and w rows are K-contiguous: four k per texel when rows start on texel boundaries.
            const bool vec4 = k % 4 == 0;
            const bool texel = r.texel_ok(x, vec4) && r.texel_ok(w, vec4);
            std::vector<uint32_t> spec = gemm_spec(v);
            spec.push_back(texel && vec4 ? 1u : 0u);
            const shader::LinearPush push{push_u32(mc), push_u32(nc), push_u32(k), e.act, e.flags, push_u32(n)};
            r.dispatch(a, {Recording::shader(ShaderId::linear, a.output.dtype, texel), std::move(spec)},
                       {texel ? r.texel(x, vec4) : r.read(x), texel ? r.texel(w, vec4) : r.read(w), r.read(bias),
                        r.read(residual), r.write(y)},
                       push, gemm_grid(v, mc, nc));
        }
    }
}

}  // namespace cliprt::vk
