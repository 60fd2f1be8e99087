// Conv2d as GEMM per image: out[o, pixel] = W[o, :] . patch(pixel) + b[o] (+ residual, act), NCHW.
// The weights (the left operand) are packed into row tiles once; the GEMM runs over tasks of
// (image, panel block, row block) so small late-stage images still fill every thread at batch > 1,
// each task gathering (im2col) the patches of a group of column panels right before its GEMM.
// A patchify convolution (ViT's patch embedding) runs as a Linear over the gathered patches.
#include <cstring>
#include <memory>
#include <vector>

#include "cpu/cpu_buffer.h"
#include "cpu/cpu_kernels.h"
#include "cpu_fast/cpu_fast_gemm.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt::cpu_fast {

bool is_constant(const Graph& graph, ValueId id);

namespace {

struct ConvPlan {
    cpu::Conv2dShape s;
    int64_t pixels = 0, patch = 0, panels = 0;  // per image
    int64_t panel_group = 1;                    // panels gathered together (f32 weights)
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

// A patchify convolution (stride = kernel > 1, no padding: ViT's patch embedding) reads every
// input pixel once, in runs of kernel_w: it is a Linear over the patches. (A 1x1 convolution's
// input already is the GEMM's B, one channel per row.)
bool is_patchify(const cpu::Conv2dShape& s) {
    return s.stride_h == s.kernel_h && s.stride_w == s.kernel_w && s.pad_h == 0 && s.pad_w == 0 &&
           s.kernel_h * s.kernel_w > 1;
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
        pool.parallel_for(p.s.batch * channels, 16, [&](int64_t i0, int64_t i1, int) {
            for (int64_t i = i0; i < i1; ++i) {
                const int64_t img = i / channels;
                const int64_t o = i % channels;
                const float* src = out_data + img * p.pixels * channels + o;
                float* dst = y + i * p.pixels;
                for (int64_t px = 0; px < p.pixels; ++px) dst[px] = src[px * channels];
            }
        });
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
    p.panel_group = conv_panel_group(p.patch, p.nr);

    const float* x = cpu::f32_data(v.x);
    const float* w = cpu::f32_data(v.w);
    GemmEpilogue ep;
    ep.act = v.params.act;
    ep.bias_per_row = true;
    if (v.bias != nullptr) ep.bias = cpu::f32_data(*v.bias);
    const float* residual = v.residual != nullptr ? cpu::f32_data(*v.residual) : nullptr;
    ep.ldr = p.pixels;
    float* y = cpu::f32_data(a.output);
    if (is_patchify(p.s) && residual == nullptr) return record_patchify(a, p, x, w, y, ep);
    // bf16 weights on AMX multiply bf16 patches; otherwise convolution weights stay f32.
    const bool amx = a.weights == WeightFormat::Bf16Amx;
    std::shared_ptr<const PackedWeights> packed =
        a.packs.get_rows(buffer_id(v.w), v.w.offset, w, p.s.out_channels, p.patch,
                         amx ? WeightFormat::Bf16AmxRows : WeightFormat::F32RowTiles, a.kernels);
    return [&pool = a.pool, &kernels = a.kernels, packed, p, x, y, residual, ep, amx] {
        const int64_t in_image = p.s.in_channels * p.s.in_h * p.s.in_w;
        const int64_t out_image = p.s.out_channels * p.pixels;
        const int64_t panel_floats = p.patch * p.nr;
        const int64_t want = pool.threads() == 1 ? 1 : 4 * pool.threads();  // tasks: about four per thread
        const int64_t row_tiles = (p.s.out_channels + kernels.gemm_mr - 1) / kernels.gemm_mr;
        if (!amx && p.s.batch * p.panels < want) {
            // Too few panels to split: each image's patches are gathered once, together, and the
            // tasks split the weights' rows, so that every weight is read once (a split of the
            // panels read all of a late stage's weights once per panel, and its row split
            // gathered each panel once per task).
            thread_local std::vector<float> shared;
            shared.resize(static_cast<size_t>(p.panels * panel_floats));
            float* patches = shared.data();  // the tasks' threads have thread_locals of their own
            const int64_t tasks = std::min(want, row_tiles);
            const int64_t rows = (row_tiles + tasks - 1) / tasks * kernels.gemm_mr;
            for (int64_t img = 0; img < p.s.batch; ++img) {
                pool.parallel_for(p.panels, 1, [&](int64_t p0, int64_t p1, int) {
                    gather_panels(x + img * in_image, p, p0, p1 - p0, patches + p0 * panel_floats);
                });
                GemmEpilogue e = ep;
                if (residual != nullptr) e.residual = residual + img * out_image;
                const GemmB b{patches, panel_floats, p.nr, true};
                pool.run_tasks(tasks, [&](int64_t task, int) {
                    const int64_t m0 = task * rows;
                    if (m0 >= p.s.out_channels) return;
                    kernels.gemm_packed_a(m0, std::min(p.s.out_channels, m0 + rows), 0, p.panels, p.pixels, p.patch,
                                          packed->f32.data(), b, y + img * out_image, p.pixels, e);
                });
            }
            return;
        }
        // Tasks: image x panel block x row block; panels are split first (a row split gathers the
        // same panel in each of its tasks).
        const int64_t panel_chunks = std::clamp<int64_t>((want + p.s.batch - 1) / p.s.batch, 1, p.panels);
        const int64_t panel_chunk = (p.panels + panel_chunks - 1) / panel_chunks;
        const int64_t row_chunks = std::clamp<int64_t>(want / (p.s.batch * panel_chunks), 1, row_tiles);
        // Row blocks in whole register blocks, or pairs of AMX row tiles.
        const int64_t row_unit = amx ? 2 * kernels.amx_rows : kernels.gemm_mr;
        const int64_t row_chunk =
            ((row_tiles + row_chunks - 1) / row_chunks * kernels.gemm_mr + row_unit - 1) / row_unit * row_unit;
        pool.run_tasks(p.s.batch * panel_chunks * row_chunks, [&](int64_t task, int) {
            const int64_t img = task / (panel_chunks * row_chunks);
            const int64_t p0 = task / row_chunks % panel_chunks * panel_chunk;
            const int64_t m0 = task % row_chunks * row_chunk;
            if (p0 >= p.panels || m0 >= p.s.out_channels) return;
            const int64_t m1 = std::min(p.s.out_channels, m0 + row_chunk);
            // Groups of panels are gathered right before their GEMM, so they are still in L2 when
            // read, and each slice of the weights (which stream from L3 or memory) serves them all.
            thread_local std::vector<float> panels;
            thread_local std::vector<uint16_t> pairs;
            const int64_t pn1 = std::min(p.panels, p0 + panel_chunk);
            const int64_t group = amx ? 1 : p.panel_group;
            panels.resize(static_cast<size_t>(group * panel_floats));
            if (amx) pairs.resize(static_cast<size_t>(kernels.amx_b_pairs_values(p.patch)));
            for (int64_t pn = p0; pn < pn1; pn += group) {
                const int64_t count = std::min(group, pn1 - pn);
                gather_panels(x + img * in_image, p, pn, count, panels.data());
                const int64_t col0 = pn * p.nr;
                const int64_t cols = std::min(p.pixels, (pn + count) * p.nr) - col0;
                GemmEpilogue e = ep;
                if (residual != nullptr) e.residual = residual + img * out_image + col0;
                float* out = y + img * out_image + col0;
                if (amx) {
                    kernels.pack_b_pairs_amx(panels.data(), p.patch, pairs.data());
                    const GemmBf16B b{pairs.data(), kernels.amx_b_pairs_values(p.patch), 2 * p.nr, true};
                    kernels.gemm_bf16_amx(m0, m1, 0, 1, cols, p.patch, packed->bf16.data(), b, out, p.pixels, e);
                } else {
                    const GemmB b{panels.data(), panel_floats, p.nr, true};
                    kernels.gemm_packed_a(m0, m1, 0, count, cols, p.patch, packed->f32.data(), b, out, p.pixels, e);
                }
            }
        });
    };
}

}  // namespace cliprt::cpu_fast
