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
// the direct implicit GEMM: 1.4-1.8x from 64 channels and 49 tiles up (256 x 14 x 14: 0.73 -> 0.45
// ms), but slower with 32 input channels (the stem: the 16 GEMMs' k is too short for their
// register blocks, 0.79 -> 1.68 ms) and with 16 tiles (512 x 7 x 7 at batch 1: 0.73 -> 0.83 ms).
bool conv_runs_winograd(const Graph& graph, const Node& node) {
    if (node.op != OpKind::Conv2d) return false;
    const Conv2dParams p = node.get<Conv2dParams>();
    const Shape& w = graph.shape(node.inputs[1]);
    const Shape& y = graph.shape(node.output);
    if (w[2] != 3 || w[3] != 3 || p.stride_h != 1 || p.stride_w != 1 || p.pad_h != 1 || p.pad_w != 1) return false;
    const int64_t tiles = y[0] * ((y[2] + 1) / 2) * ((y[3] + 1) / 2);
    return tiles >= 32 && w[1] >= 64 && w[0] >= 64;
}

void parallel_winograd_conv(cpu::ThreadPool& pool, const Kernels& kernels, const WinogradTiles& wt,
                            const PackedWeights& w, float* y, const GemmEpilogue& ep) {
    const int64_t tiles = wt.tiles();
    const int64_t ldv = tiles * wt.in_c;
    const int64_t ldm = tiles * wt.out_c;
    thread_local std::vector<float> v, m;
    v.resize(static_cast<size_t>(16 * ldv));
    m.resize(static_cast<size_t>(16 * ldm));
    float* vd = v.data();
    float* md = m.data();
    const int64_t grain = std::max<int64_t>(1, 2048 / std::max(wt.in_c, wt.out_c));
    pool.parallel_for(tiles, grain, [&](int64_t t0, int64_t t1, int) { kernels.winograd_input(wt, t0, t1, vd, ldv); });
    // Each GEMM as a 1x1 convolution over a row of `tiles` pixels: the kernel reads V's rows in
    // place, where a GEMM would pack them first.
    thread_local std::vector<ConvRowOrigin> rows;
    rows.resize(static_cast<size_t>(tiles));
    for (int64_t t = 0; t < tiles; ++t) rows[static_cast<size_t>(t)] = {t * wt.in_c, 0, static_cast<int32_t>(t)};
    const ConvNhwc conv{vd, 1, tiles, wt.in_c, 1, 1, rows.data()};
    parallel_conv_nhwc_many(pool, kernels, 16, conv, ldv, w, wt.out_c, tiles, md, ldm, wt.out_c, GemmEpilogue{});
    pool.parallel_for(tiles, grain,
                      [&](int64_t t0, int64_t t1, int) { kernels.winograd_output(wt, t0, t1, md, ldm, y, ep); });
}

}  // namespace cliprt::cpu_fast
