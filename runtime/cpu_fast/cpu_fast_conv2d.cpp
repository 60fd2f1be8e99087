// Conv2d. f32 convolutions run channels-last as an implicit GEMM (kernels.conv_nhwc): each output
// pixel's patch is read straight from the NHWC input, the weights are B panels packed once, and
// the output comes out NHWC, which is the layout the next convolution reads (cpu_fast_layout.h);
// values that other ops read are transposed at the boundary. Against the NCHW GEMM of gathered
// patches that it replaced: 1.21x over RN50's convolution shapes on one Zen 3 thread, the gather
// included (it was 11 % of a forward). 3x3 convolutions of stride 1 with enough channels run by
// Winograd's F(4x4, 3x3) or F(2x2, 3x3) instead, in the same layout (cpu_fast_winograd.h).
// bf16 weights on AMX tiles multiply the weights (the left operand, packed into row tiles once) by
// patch panels gathered (im2col) from the NCHW input right before each GEMM.
// A patchify convolution (ViT's patch embedding) runs as a Linear over the gathered patches.
#include <cstring>
#include <memory>
#include <vector>

#include "cpu/cpu_buffer.h"
#include "cpu/cpu_kernels.h"
#include "cpu_fast/cpu_fast_gemm.h"
#include "cpu_fast/cpu_fast_layout.h"
#include "cpu_fast/cpu_fast_ops.h"
#include "cpu_fast/cpu_fast_winograd.h"

namespace cliprt::cpu_fast {

bool is_constant(const Graph& graph, ValueId id);

namespace {

struct ConvPlan {
    cpu::Conv2dShape s;
    int64_t pixels = 0, patch = 0, panels = 0;  // per image
    int nr = 1;
};

// n floats (at most 32: a panel's run) from src to dst, or zeros, in 8- and 4-float moves of fixed
// size that the compiler inlines, overlapping at the end: std::copy and std::fill_n of a run were
// calls to memmove and memset (memmove alone was 5.7 % of an RN50 forward on one thread).
inline void copy_run(const float* src, float* dst, int64_t n) {
    if (n >= 8) {
        int64_t i = 0;
        for (; i + 8 <= n; i += 8) std::memcpy(dst + i, src + i, 32);
        if (i < n) std::memcpy(dst + n - 8, src + n - 8, 32);
    } else if (n >= 4) {
        std::memcpy(dst, src, 16);
        std::memcpy(dst + n - 4, src + n - 4, 16);
    } else {
        for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
    }
}

inline void zero_run(float* dst, int64_t n) {
    static constexpr float kZeros[32] = {};
    copy_run(kZeros, dst, n);
}

// Panels [panel0, panel0 + count) of one image's patch matrix, one after another at out: panel g's
// out[g * patch * nr + kk * nr + j] = the input under tap kk = (c, kh, kw) of output pixel
// (panel0 + g) * nr + j, zero outside the image and past the last pixel. Columns are handled in
// runs along one output row, which are contiguous in the input when stride_w is 1. The runs are
// the same for every tap, so they are found once (integer divisions per tap and run cost a third
// of the gather's time), and every tap copies the runs of all the panels, so that the input rows
// are read forward, which the prefetchers follow (a panel at a time, each of its taps read another
// input row, and 40 % of the gather's time was one load waiting for its line).
void gather_panels(const float* image, const ConvPlan& p, int64_t panel0, int64_t count, float* out) {
    const cpu::Conv2dShape& s = p.s;
    const int64_t out_w = s.out_w();
    const int64_t panel_floats = p.patch * p.nr;
    struct Run {
        int64_t dst, oh, ow, length;  // oh < 0: zeros (the columns past the last pixel)
    };
    thread_local std::vector<Run> runs;
    runs.clear();
    for (int64_t g = 0; g < count; ++g) {
        const int64_t first = (panel0 + g) * p.nr;
        int64_t j = 0;
        for (; j < p.nr && first + j < p.pixels;) {
            const int64_t pixel = first + j;
            const int64_t ow = pixel % out_w;
            const int64_t length = std::min({p.nr - j, out_w - ow, p.pixels - pixel});
            runs.push_back({g * panel_floats + j, pixel / out_w, ow, length});
            j += length;
        }
        if (j < p.nr) runs.push_back({g * panel_floats + j, -1, 0, p.nr - j});
    }
    int64_t tap = 0;
    for (int64_t c = 0; c < s.in_channels; ++c) {
        const float* plane = image + c * s.in_h * s.in_w;
        for (int64_t kh = 0; kh < s.kernel_h; ++kh) {
            for (int64_t kw = 0; kw < s.kernel_w; ++kw, ++tap) {
                for (const Run& run : runs) {
                    float* d = out + run.dst + tap * p.nr;
                    const int64_t ih = run.oh * s.stride_h - s.pad_h + kh;
                    if (run.oh < 0 || ih < 0 || ih >= s.in_h) {
                        zero_run(d, run.length);
                        continue;
                    }
                    const float* src = plane + ih * s.in_w;
                    if (s.stride_w == 1) {
                        const int64_t iw0 = run.ow - s.pad_w + kw;  // input column of the run's first pixel
                        const int64_t lo = std::clamp<int64_t>(-iw0, 0, run.length);
                        const int64_t hi = std::clamp<int64_t>(s.in_w - iw0, lo, run.length);
                        zero_run(d, lo);
                        copy_run(src + iw0 + lo, d + lo, hi - lo);
                        zero_run(d + hi, run.length - hi);
                    } else {
                        for (int64_t i = 0; i < run.length; ++i) {
                            const int64_t iw = (run.ow + i) * s.stride_w - s.pad_w + kw;
                            d[i] = iw >= 0 && iw < s.in_w ? src[iw] : 0.0f;
                        }
                    }
                }
            }
        }
    }
}

// Patch rows [r0, r1) of all images (row = img * pixels + pixel; columns in the weights' (c, kh,
// kw) order) from NCHW x.
void gather_patch_rows(const float* x, const ConvPlan& p, int64_t r0, int64_t r1, float* rows) {
    const cpu::Conv2dShape& s = p.s;
    const int64_t out_w = s.out_w();
    for (int64_t r = r0; r < r1; ++r) {
        const int64_t img = r / p.pixels;
        const int64_t oh = r % p.pixels / out_w;
        const int64_t ow = r % p.pixels % out_w;
        float* dst = rows + r * p.patch;
        for (int64_t c = 0; c < s.in_channels; ++c) {
            const float* plane = x + (img * s.in_channels + c) * s.in_h * s.in_w;
            for (int64_t kh = 0; kh < s.kernel_h; ++kh) {
                const float* src = plane + (oh * s.stride_h + kh) * s.in_w + ow * s.stride_w;
                dst = std::copy(src, src + s.kernel_w, dst);
            }
        }
    }
}

// [batch][rows][cols] -> [batch][cols][rows] (NCHW <-> NHWC), in 16 x 16 tiles.
void transpose_images(cpu::ThreadPool& pool, const float* x, float* y, int64_t batch, int64_t rows, int64_t cols) {
    constexpr int64_t kTile = 16;
    const int64_t row_tiles = (rows + kTile - 1) / kTile;
    pool.parallel_for(batch * row_tiles, 1, [&](int64_t t0, int64_t t1, int) {
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t img = t / row_tiles;
            const int64_t r0 = t % row_tiles * kTile;
            const int64_t r1 = std::min(rows, r0 + kTile);
            const float* in = x + img * rows * cols;
            float* out = y + img * rows * cols;
            for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
                const int64_t c1 = std::min(cols, c0 + kTile);
                for (int64_t c = c0; c < c1; ++c)
                    for (int64_t r = r0; r < r1; ++r) out[c * rows + r] = in[r * cols + c];
            }
        }
    });
}

// The patches as rows, times the weights packed like a Linear's (so bf16 weights apply here too),
// then transposed from [image, pixel, channel] into NCHW.
Step record_patchify(const FastArgs& a, const ConvPlan& p, const float* x, const float* w, float* y, GemmEpilogue ep) {
    ep.bias_per_row = false;  // per output channel = per column of the patch GEMM
    std::shared_ptr<const PackedWeights> packed = a.packs.get(buffer_id(a.inputs[1]), a.inputs[1].offset, w,
                                                              p.s.out_channels, p.patch, a.kernels.gemm_nr, a.weights);
    return [&pool = a.pool, &kernels = a.kernels, packed, p, x, y, ep] {
        const int64_t rows = p.s.batch * p.pixels;
        const int64_t channels = p.s.out_channels;
        thread_local std::vector<float> patches, out;
        patches.resize(static_cast<size_t>(rows * p.patch));
        out.resize(static_cast<size_t>(rows * channels));
        float* patch_data = patches.data();
        float* out_data = out.data();
        pool.parallel_for(rows, 1, [&](int64_t r0, int64_t r1, int) { gather_patch_rows(x, p, r0, r1, patch_data); });
        parallel_gemm_packed(pool, kernels, *packed, rows, patch_data, p.patch, out_data, channels, ep);
        transpose_images(pool, out_data, y, p.s.batch, p.pixels, channels);
    };
}

// The channels-last implicit GEMM over all the batch's output pixels at once (a late stage's 7 x 7
// images fill register blocks across images). Inputs read NCHW are transposed first, and an
// output read NCHW is transposed last, after the epilogue.
Step record_nhwc(const FastArgs& a, const ConvPlan& p, const float* x, const float* w, float* y, const float* residual,
                 GemmEpilogue ep) {
    const cpu::Conv2dShape& s = p.s;
    const bool x_nhwc = value_is_nhwc(a.graph, a.node.inputs[0], a.weights);
    const bool y_nhwc = value_is_nhwc(a.graph, a.node.output, a.weights);
    const bool residual_nhwc = residual != nullptr && value_is_nhwc(a.graph, a.node.inputs.back(), a.weights);
    const int winograd = winograd_enabled() ? winograd_tile(a.graph, a.node) : 0;
    std::shared_ptr<const PackedWeights> packed =
        winograd != 0 ? a.packs.get_winograd(buffer_id(a.inputs[1]), a.inputs[1].offset, w, s.out_channels,
                                             s.in_channels, a.kernels.gemm_nr, winograd)
                      : a.packs.get_conv_taps(buffer_id(a.inputs[1]), a.inputs[1].offset, w, s.out_channels,
                                              s.in_channels, s.kernel_h * s.kernel_w, a.kernels.gemm_nr);
    // Each output pixel's window for the direct convolution, found once here rather than in every
    // block of the kernel (Winograd reads tiles instead).
    auto origins = std::make_shared<std::vector<ConvRowOrigin>>();
    const int64_t out_w = s.out_w();
    for (int64_t r = 0; winograd == 0 && r < s.batch * p.pixels; ++r) {
        const int64_t img = r / p.pixels;
        const int64_t ih = r % p.pixels / out_w * s.stride_h - s.pad_h;
        const int64_t iw = r % p.pixels % out_w * s.stride_w - s.pad_w;
        origins->push_back(
            {((img * s.in_h + ih) * s.in_w + iw) * s.in_channels, static_cast<int32_t>(ih), static_cast<int32_t>(iw)});
    }
    ep.bias_per_row = false;  // per output channel = per column
    ep.ldr = s.out_channels;
    return [&pool = a.pool, &kernels = a.kernels, packed, origins, p, x, y, residual, ep, x_nhwc, y_nhwc, residual_nhwc,
            winograd] {
        const cpu::Conv2dShape& s = p.s;
        const int64_t in_plane = s.in_h * s.in_w;
        thread_local std::vector<float> x_scratch, residual_scratch, y_scratch;
        const float* xin = x;
        if (!x_nhwc) {
            x_scratch.resize(static_cast<size_t>(s.batch * s.in_channels * in_plane));
            transpose_images(pool, x, x_scratch.data(), s.batch, s.in_channels, in_plane);
            xin = x_scratch.data();
        }
        GemmEpilogue e = ep;
        e.residual = residual;
        if (residual != nullptr && !residual_nhwc) {
            residual_scratch.resize(static_cast<size_t>(s.batch * s.out_channels * p.pixels));
            transpose_images(pool, residual, residual_scratch.data(), s.batch, s.out_channels, p.pixels);
            e.residual = residual_scratch.data();
        }
        float* out = y;
        if (!y_nhwc) {
            y_scratch.resize(static_cast<size_t>(s.batch * s.out_channels * p.pixels));
            out = y_scratch.data();
        }
        if (winograd != 0) {
            const WinogradTiles wt{xin, s.batch, s.in_h, s.in_w, s.in_channels, s.out_channels, winograd};
            parallel_winograd_conv(pool, kernels, wt, *packed, out, e);
        } else {
            const ConvNhwc conv{xin, s.in_h, s.in_w, s.in_channels, s.kernel_h, s.kernel_w, origins->data()};
            parallel_conv_nhwc(pool, kernels, conv, *packed, s.batch * p.pixels, out, s.out_channels, e);
        }
        if (!y_nhwc) transpose_images(pool, out, y, s.batch, p.pixels, s.out_channels);
    };
}

}  // namespace

Step record_conv2d(const FastArgs& a) {
    if (!is_constant(a.graph, a.node.inputs[1])) return {};
    const Conv2dView v = conv2d_view(a);
    ConvPlan p;
    p.s.batch = v.batch;
    p.s.in_channels = v.in_channels;
    p.s.in_h = v.in_h;
    p.s.in_w = v.in_w;
    p.s.out_channels = v.out_channels;
    p.s.kernel_h = v.kernel_h;
    p.s.kernel_w = v.kernel_w;
    p.s.stride_h = v.params.stride_h;
    p.s.stride_w = v.params.stride_w;
    p.s.pad_h = v.params.pad_h;
    p.s.pad_w = v.params.pad_w;
    p.nr = a.kernels.gemm_nr;
    p.pixels = v.out_h * v.out_w;
    p.patch = v.in_channels * v.kernel_h * v.kernel_w;
    p.panels = (p.pixels + p.nr - 1) / p.nr;

    const float* x = cpu::f32_data(v.x);
    const float* w = cpu::f32_data(v.w);
    GemmEpilogue ep;
    ep.act = v.params.act;
    ep.bias_per_row = true;
    if (v.bias != nullptr) ep.bias = cpu::f32_data(*v.bias);
    const float* residual = v.residual != nullptr ? cpu::f32_data(*v.residual) : nullptr;
    ep.ldr = p.pixels;
    float* y = cpu::f32_data(a.output);
    if (runs_as_linear(a.graph, a.node)) return record_patchify(a, p, x, w, y, ep);
    if (conv_runs_nhwc(a.graph, a.node, a.weights)) return record_nhwc(a, p, x, w, y, residual, ep);
    // bf16 weights on AMX tiles (conv_runs_nhwc's exception).
    std::shared_ptr<const PackedWeights> packed =
        a.packs.get_amx_rows(buffer_id(v.w), v.w.offset, w, p.s.out_channels, p.patch, a.kernels);
    return [&pool = a.pool, &kernels = a.kernels, packed, p, x, y, residual, ep] {
        const int64_t in_image = p.s.in_channels * p.s.in_h * p.s.in_w;
        const int64_t out_image = p.s.out_channels * p.pixels;
        const int64_t panel_floats = p.patch * p.nr;
        const int64_t want = pool.threads() == 1 ? 1 : 4 * pool.threads();  // tasks: about four per thread
        const int64_t row_tiles = (p.s.out_channels + kernels.gemm_mr - 1) / kernels.gemm_mr;
        // Tasks: image x panel block x row block; panels are split first (a row split gathers the
        // same panel in each of its tasks).
        const int64_t panel_chunks = std::clamp<int64_t>((want + p.s.batch - 1) / p.s.batch, 1, p.panels);
        const int64_t panel_chunk = (p.panels + panel_chunks - 1) / panel_chunks;
        const int64_t row_chunks = std::clamp<int64_t>(want / (p.s.batch * panel_chunks), 1, row_tiles);
        // Row blocks in pairs of AMX row tiles.
        const int64_t row_unit = 2 * kernels.amx_rows;
        const int64_t row_chunk =
            ((row_tiles + row_chunks - 1) / row_chunks * kernels.gemm_mr + row_unit - 1) / row_unit * row_unit;
        pool.run_tasks(p.s.batch * panel_chunks * row_chunks, [&](int64_t task, int) {
            const int64_t img = task / (panel_chunks * row_chunks);
            const int64_t p0 = task / row_chunks % panel_chunks * panel_chunk;
            const int64_t m0 = task % row_chunks * row_chunk;
            if (p0 >= p.panels || m0 >= p.s.out_channels) return;
            const int64_t m1 = std::min(p.s.out_channels, m0 + row_chunk);
            // Each panel is gathered right before its GEMM, so it is still in cache when read.
            thread_local std::vector<float> panel;
            thread_local std::vector<uint16_t> pairs;
            panel.resize(static_cast<size_t>(panel_floats));
            pairs.resize(static_cast<size_t>(kernels.amx_b_pairs_values(p.patch)));
            for (int64_t pn = p0; pn < std::min(p.panels, p0 + panel_chunk); ++pn) {
                gather_panels(x + img * in_image, p, pn, 1, panel.data());
                const int64_t col0 = pn * p.nr;
                const int64_t cols = std::min(p.pixels, col0 + p.nr) - col0;
                GemmEpilogue e = ep;
                if (residual != nullptr) e.residual = residual + img * out_image + col0;
                kernels.pack_b_pairs_amx(panel.data(), p.patch, pairs.data());
                const GemmBf16B b{pairs.data(), kernels.amx_b_pairs_values(p.patch), 2 * p.nr, true};
                kernels.gemm_bf16_amx(m0, m1, 0, 1, cols, p.patch, packed->bf16.data(), b, y + img * out_image + col0,
                                      p.pixels, e);
            }
        });
    };
}

}  // namespace cliprt::cpu_fast
