// Conv2d as GEMM per image: out[o, pixel] = W[o, :] . patch(pixel) + b[o] (+ residual, act), NCHW.
// The weights (the left operand) are packed into row tiles once; the patches are gathered into a
// column matrix (im2col) whose rows are padded to whole panels, except for 1x1 stride-1 convolutions
// over a whole number of panels, which read the image itself.
#include <memory>
#include <vector>

#include "cpu/cpu_buffer.h"
#include "cpu/cpu_kernels.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt::cpu_fast {

bool is_constant(const Graph& graph, ValueId id);

namespace {

struct ConvPlan {
    cpu::Conv2dShape s;
    int64_t pixels = 0, patch = 0, padded_pixels = 0;
    bool direct = false;  // 1x1, stride 1, no padding, pixels a multiple of the panel width
};

// cols[kk, pixel] for kk = (c, kh, kw) of rows [k0, k1), zero outside the image and past the pixels.
void gather_patches(const float* image, const ConvPlan& p, int64_t k0, int64_t k1, float* cols) {
    const cpu::Conv2dShape& s = p.s;
    const int64_t out_h = s.out_h();
    const int64_t out_w = s.out_w();
    const int64_t area = s.kernel_h * s.kernel_w;
    for (int64_t kk = k0; kk < k1; ++kk) {
        const int64_t c = kk / area;
        const int64_t kh = kk % area / s.kernel_w;
        const int64_t kw = kk % s.kernel_w;
        const float* plane = image + c * s.in_h * s.in_w;
        float* row = cols + kk * p.padded_pixels;
        for (int64_t oh = 0; oh < out_h; ++oh) {
            const int64_t ih = oh * s.stride_h - s.pad_h + kh;
            float* dst = row + oh * out_w;
            if (ih < 0 || ih >= s.in_h) {
                std::fill_n(dst, out_w, 0.0f);
                continue;
            }
            const float* src = plane + ih * s.in_w;
            if (s.stride_w == 1) {
                // Output columns whose input column iw = ow - pad_w + kw lies inside [0, in_w).
                const int64_t lo = std::clamp<int64_t>(s.pad_w - kw, 0, out_w);
                const int64_t hi = std::clamp<int64_t>(s.in_w + s.pad_w - kw, lo, out_w);
                std::fill_n(dst, lo, 0.0f);
                std::copy(src + lo - s.pad_w + kw, src + hi - s.pad_w + kw, dst + lo);
                std::fill(dst + hi, dst + out_w, 0.0f);
            } else {
                for (int64_t ow = 0; ow < out_w; ++ow) {
                    const int64_t iw = ow * s.stride_w - s.pad_w + kw;
                    dst[ow] = iw >= 0 && iw < s.in_w ? src[iw] : 0.0f;
                }
            }
        }
        std::fill(row + p.pixels, row + p.padded_pixels, 0.0f);
    }
}

}  // namespace

Step record_conv2d(const FastArgs& a) {
    const Conv2dParams params = a.node.get<Conv2dParams>();
    if (!is_constant(a.graph, a.node.inputs[1])) return {};
    const Shape& xs = a.inputs[0].shape;
    const Shape& ws = a.inputs[1].shape;
    ConvPlan p;
    p.s.batch = xs[0];
    p.s.in_channels = xs[1];
    p.s.in_h = xs[2];
    p.s.in_w = xs[3];
    p.s.out_channels = ws[0];
    p.s.kernel_h = ws[2];
    p.s.kernel_w = ws[3];
    p.s.stride_h = params.stride_h;
    p.s.stride_w = params.stride_w;
    p.s.pad_h = params.pad_h;
    p.s.pad_w = params.pad_w;
    const int nr = a.kernels.gemm_nr;
    p.pixels = p.s.out_h() * p.s.out_w();
    p.patch = p.s.in_channels * p.s.kernel_h * p.s.kernel_w;
    p.padded_pixels = (p.pixels + nr - 1) / nr * nr;
    p.direct = p.s.kernel_h == 1 && p.s.kernel_w == 1 && p.s.stride_h == 1 && p.s.stride_w == 1 && p.s.pad_h == 0 &&
               p.s.pad_w == 0 && p.pixels % nr == 0;

    const float* x = cpu::f32_data(a.inputs[0]);
    const float* w = cpu::f32_data(a.inputs[1]);
    size_t next = 2;
    GemmEpilogue ep;
    ep.act = params.act;
    ep.bias_per_row = true;
    if (params.has_bias) ep.bias = cpu::f32_data(a.inputs[next++]);
    const float* residual = params.has_residual ? cpu::f32_data(a.inputs[next++]) : nullptr;
    ep.ldr = p.pixels;
    float* y = cpu::f32_data(a.output);
    std::shared_ptr<const PackedWeights> packed =
        a.packs.get_row_tiles(buffer_id(a.inputs[1]), a.inputs[1].offset, w, p.s.out_channels, p.patch, a.kernels);
    auto cols = std::make_shared<std::vector<float>>(p.direct ? 0 : static_cast<size_t>(p.patch * p.padded_pixels));

    return [&pool = a.pool, &kernels = a.kernels, packed, cols, p, x, y, residual, ep]() mutable {
        const int64_t in_image = p.s.in_channels * p.s.in_h * p.s.in_w;
        const int64_t out_image = p.s.out_channels * p.pixels;
        const int64_t panels = p.padded_pixels / kernels.gemm_nr;
        const int64_t row_tiles = (p.s.out_channels + kernels.gemm_mr - 1) / kernels.gemm_mr;
        for (int64_t img = 0; img < p.s.batch; ++img) {
            const float* image = x + img * in_image;
            GemmB b{image, kernels.gemm_nr, p.pixels};
            if (!p.direct) {
                pool.parallel_for(p.patch, 8, [&](int64_t k0, int64_t k1, int) {
                    gather_patches(image, p, k0, k1, cols->data());
                });
                b = GemmB{cols->data(), kernels.gemm_nr, p.padded_pixels};
            }
            GemmEpilogue e = ep;
            if (residual != nullptr) e.residual = residual + img * out_image;
            float* out = y + img * out_image;
            // Tasks: row-tile blocks x panel blocks, about four per thread.
            const int64_t want = pool.threads() == 1 ? 1 : 4 * pool.threads();
            const int64_t panel_chunks = std::min<int64_t>(panels, want);
            const int64_t row_chunks = std::clamp<int64_t>(want / panel_chunks, 1, row_tiles);
            const int64_t panel_chunk = (panels + panel_chunks - 1) / panel_chunks;
            const int64_t row_chunk = (row_tiles + row_chunks - 1) / row_chunks * kernels.gemm_mr;
            pool.run_tasks(row_chunks * panel_chunks, [&](int64_t task, int) {
                const int64_t m0 = task / panel_chunks * row_chunk;
                const int64_t p0 = task % panel_chunks * panel_chunk;
                if (m0 >= p.s.out_channels || p0 >= panels) return;
                kernels.gemm_packed_a(m0, std::min(p.s.out_channels, m0 + row_chunk), p0, std::min(panels, p0 + panel_chunk),
                                      p.pixels, p.patch, packed->f32.data(), b, out, p.pixels, e);
            });
        }
    };
}

}  // namespace cliprt::cpu_fast
