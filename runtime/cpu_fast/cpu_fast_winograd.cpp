#include "cpu_fast/cpu_fast_winograd.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "cpu_fast/cpu_fast_gemm.h"

namespace cliprt::cpu_fast {

bool winograd_enabled() {
    static const bool enabled = [] {
        const char* v = std::getenv("CLIPRT_CPU_WINOGRAD");
        return v == nullptr || std::string(v) != "0";
    }();
    return enabled;
}

// Measured with `cliprt profile` over RN50's 3x3 convolutions, 2 threads (Xeon, AVX-512), against
// the direct implicit GEMM: F(2x2, 3x3) is faster from 32 channels and 32 tiles up (batch 8: the
// stem's 32 x 112 x 112 6.2 -> 5.5 ms, 128 x 28 x 28 5.9 -> 3.3 ms, 512 x 7 x 7 5.7 -> 4.5 ms),
// but slower with 16 tiles (512 x 7 x 7 at batch 1: 0.73 -> 0.83 ms): there the weights, which
// come from memory, bound the time, and transformed they are 16 / 9 as large. F(4x4, 3x3) is
// faster again wherever it has 32 tiles (against F(2x2, 3x3), alternating: batch 1 256 x 28 x 28
// 2.0 -> 1.3 ms, the stem's 64-channel conv3 1.5 -> 0.9 ms; batch 8 256 x 28 x 28 14.8 -> 10.0 ms,
// 512 x 7 x 7 5.5 -> 5.2 ms).
int winograd_tile(const Graph& graph, const Node& node) {
    if (node.op != OpKind::Conv2d) return 0;
    const Conv2dParams p = node.get<Conv2dParams>();
    const Shape& w = graph.shape(node.inputs[1]);
    const Shape& y = graph.shape(node.output);
    if (w[2] != 3 || w[3] != 3 || p.stride_h != 1 || p.stride_w != 1 || p.pad_h != 1 || p.pad_w != 1) return 0;
    if (w[1] < 32 || w[0] < 32) return 0;
    const auto tiles = [&](int64_t m) { return y[0] * ((y[2] + m - 1) / m) * ((y[3] + m - 1) / m); };
    if (tiles(4) >= 32) return 4;
    return tiles(2) >= 32 ? 2 : 0;
}

namespace {

// Each GEMM as a 1x1 convolution over a row of `tiles` pixels: the kernel reads V's rows in place,
// where a GEMM would pack them first.
const ConvRowOrigin* tile_rows(int64_t tiles, int64_t in_c) {
    thread_local std::vector<ConvRowOrigin> rows;
    rows.resize(static_cast<size_t>(tiles));
    for (int64_t t = 0; t < tiles; ++t) rows[static_cast<size_t>(t)] = {t * in_c, 0, static_cast<int32_t>(t)};
    return rows.data();
}

}  // namespace

void parallel_winograd_conv(cpu::ThreadPool& pool, const Kernels& kernels, const WinogradTiles& wt,
                            const PackedWeights& w, float* y, const GemmEpilogue& ep, int64_t block_bytes) {
    const int64_t tiles = wt.tiles();
    const int points = wt.points();
    const int64_t tile_bytes = points * (wt.in_c + wt.out_c) * 4;  // of V and M
    const int64_t budget = block_bytes > 0 ? block_bytes : l2_cache_bytes() / 2;
    if (tiles * tile_bytes > budget * pool.threads()) {
        // Blocks of tiles, each transformed, multiplied and transformed back by one thread while
        // its V and M are in L2: the whole V and M of RN50's first stage at batch 8 are 51 MB each,
        // and sent through memory twice they cost more than the multiplications saved.
        // At least 4 register blocks of rows per GEMM, and at least one block per thread (49
        // tiles of 256 channels, one block of 56 for F(4x4), ran on one thread: 2.0 -> 2.4 ms).
        const int64_t mr = kernels.gemm_mr;
        const int64_t per_thread = (tiles + pool.threads() - 1) / pool.threads();
        const int64_t block =
            std::min(std::max<int64_t>(4 * mr, budget / tile_bytes / mr * mr), (per_thread + mr - 1) / mr * mr);
        const int64_t blocks = (tiles + block - 1) / block;
        const int64_t panels = (wt.out_c + w.nr - 1) / w.nr;
        const GemmB b = w.gemm_b();
        pool.run_tasks(blocks, [&](int64_t task, int thread) {
            const int64_t t0 = task * block;
            const int64_t count = std::min(tiles, t0 + block) - t0;
            float* v = pool.scratch(thread, static_cast<size_t>(points * block * (wt.in_c + wt.out_c)));
            float* m = v + points * block * wt.in_c;
            kernels.winograd_input(wt, t0, t0 + count, v, block * wt.in_c);
            const ConvNhwc conv{v, 1, count, wt.in_c, 1, 1, tile_rows(count, wt.in_c)};
            for (int xi = 0; xi < points; ++xi) {
                ConvNhwc ci = conv;
                ci.x += xi * block * wt.in_c;
                GemmB bi = b;
                bi.data += xi * panels * b.panel_stride;
                kernels.conv_nhwc(ci, 0, count, 0, panels, wt.out_c, bi, m + xi * block * wt.out_c, wt.out_c,
                                  GemmEpilogue{});
            }
            kernels.winograd_output(wt, t0, t0 + count, m, block * wt.out_c, y, ep);
        });
        return;
    }
    // Few tiles (the late stages): the GEMMs share the threads, each over all the tiles.
    const int64_t ldv = tiles * wt.in_c;
    const int64_t ldm = tiles * wt.out_c;
    thread_local std::vector<float> v, m;
    v.resize(static_cast<size_t>(points * ldv));
    m.resize(static_cast<size_t>(points * ldm));
    float* vd = v.data();
    float* md = m.data();
    const int64_t grain = std::max<int64_t>(1, 2048 / std::max(wt.in_c, wt.out_c));
    pool.parallel_for(tiles, grain,
                      [&](int64_t t0, int64_t t1, int) { kernels.winograd_input(wt, t0, t1, vd + t0 * wt.in_c, ldv); });
    const ConvNhwc conv{vd, 1, tiles, wt.in_c, 1, 1, tile_rows(tiles, wt.in_c)};
    parallel_conv_nhwc_many(pool, kernels, points, conv, ldv, w, wt.out_c, tiles, md, ldm, wt.out_c, GemmEpilogue{});
    pool.parallel_for(tiles, grain, [&](int64_t t0, int64_t t1, int) {
        kernels.winograd_output(wt, t0, t1, md + t0 * wt.out_c, ldm, y, ep);
    });
}

}  // namespace cliprt::cpu_fast
