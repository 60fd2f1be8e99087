#include "cpu_fast/cpu_fast_gemm.h"

#include <algorithm>
#include <vector>

#include "cliprt/error.h"

namespace cliprt::cpu_fast {

namespace {

struct Split {
    int64_t row_chunks = 1, row_chunk = 1;
    int64_t panel_chunks = 1, panel_chunk = 1;
};

// About four tasks per thread for balance, split into row chunks x column (panel) chunks so that
// the least data moves: every task reads its rows of A and its panels of B in full, so A is read
// once per panel chunk and B once per row chunk (cost panel_chunks x m + row_chunks x n, in units
// of k). Batch 1 (few rows) splits the columns only; large batches split both. A row chunk keeps a
// few row tiles, so that each B panel it loads is reused.
Split split_work(int64_t m, int64_t panels, int mr, int nr, int threads) {
    Split s;
    const int64_t want = threads == 1 ? 1 : int64_t{4} * threads;
    const int64_t row_tiles = (m + mr - 1) / mr;
    const int64_t min_row_tiles = 4;
    const int64_t max_row_chunks = std::clamp<int64_t>(row_tiles / min_row_tiles, 1, want);
    // Splits with fewer tasks than this leave threads idle, however little data they move: a
    // convolution with one panel of output channels (RN50's stem, 32) ran on one thread.
    const int64_t enough_tasks = std::min(want, max_row_chunks * panels);
    double best = -1;
    for (int64_t r = 1; r <= max_row_chunks; ++r) {
        const int64_t p = std::clamp<int64_t>((want + r - 1) / r, 1, panels);
        if (r * p < enough_tasks) continue;
        const double cost =
            static_cast<double>(p) * static_cast<double>(m) + static_cast<double>(r) * static_cast<double>(panels * nr);
        if (best < 0 || cost < best) {
            best = cost;
            s.row_chunks = r;
            s.panel_chunks = p;
        }
    }
    s.panel_chunk = (panels + s.panel_chunks - 1) / s.panel_chunks;
    s.panel_chunks = (panels + s.panel_chunk - 1) / s.panel_chunk;
    s.row_chunk = (row_tiles + s.row_chunks - 1) / s.row_chunks * mr;
    s.row_chunks = (m + s.row_chunk - 1) / s.row_chunk;
    return s;
}

// mr: the row granularity of a task (a register block's rows, or AMX's two row tiles).
template <typename Run>
void run_split(cpu::ThreadPool& pool, const Kernels& kernels, int64_t m, int64_t n, int mr, Run&& run) {
    if (m <= 0 || n <= 0) return;
    const int64_t panels = (n + kernels.gemm_nr - 1) / kernels.gemm_nr;
    const Split s = split_work(m, panels, mr, kernels.gemm_nr, pool.threads());
    pool.run_tasks(s.row_chunks * s.panel_chunks, [&](int64_t task, int) {
        const int64_t r = task / s.panel_chunks;
        const int64_t p = task % s.panel_chunks;
        const int64_t m0 = r * s.row_chunk;
        const int64_t p0 = p * s.panel_chunk;
        run(m0, std::min(m, m0 + s.row_chunk), p0, std::min(panels, p0 + s.panel_chunk));
    });
}

// A packed once for all tasks (in parallel, tiles of pack_rows rows, into `values` elements of
// the calling thread's scratch), then the GEMM tasks over it: packing it per task would repeat the
// copy for every column block.
template <typename T, typename Pack, typename Gemm>
void pack_then_split(cpu::ThreadPool& pool, const Kernels& kernels, int64_t m, int64_t n, int64_t k, int pack_rows,
                     int task_rows, int64_t values, Pack&& pack, Gemm&& gemm) {
    if (m <= 0 || n <= 0) return;
    thread_local std::vector<T> packed;
    packed.resize(static_cast<size_t>(values));
    T* ap = packed.data();
    const int64_t tiles = (m + pack_rows - 1) / pack_rows;
    pool.parallel_for(tiles, std::max<int64_t>(1, 8192 / std::max<int64_t>(k, 1)),
                      [&](int64_t t0, int64_t t1, int) { pack(t0 * pack_rows, t1 * pack_rows, ap); });
    run_split(pool, kernels, m, n, task_rows,
              [&](int64_t m0, int64_t m1, int64_t p0, int64_t p1) { gemm(m0, m1, p0, p1, ap); });
}

}  // namespace

void parallel_gemm(cpu::ThreadPool& pool, const Kernels& kernels, int64_t m, int64_t n, int64_t k, const float* a,
                   int64_t lda, const GemmB& b, float* c, int64_t ldc, const GemmEpilogue& ep) {
    pack_then_split<float>(
        pool, kernels, m, n, k, kernels.gemm_mr, kernels.gemm_mr, kernels.packed_a_floats(m, k),
        [&](int64_t r0, int64_t r1, float* ap) { kernels.pack_a(a, lda, m, k, r0, r1, ap); },
        [&](int64_t m0, int64_t m1, int64_t p0, int64_t p1, const float* ap) {
            kernels.gemm_packed_a(m0, m1, p0, p1, n, k, ap, b, c, ldc, ep);
        });
}

void parallel_gemm_bf16(cpu::ThreadPool& pool, const Kernels& kernels, int64_t m, int64_t n, int64_t k, const float* a,
                        int64_t lda, const GemmBf16B& b, float* c, int64_t ldc, const GemmEpilogue& ep) {
    pack_then_split<float>(  // float-aligned words of either layout
        pool, kernels, m, n, k, kernels.gemm_mr, kernels.gemm_mr, kernels.packed_a_bf16_bytes(m, k, b.pairs) / 4,
        [&](int64_t r0, int64_t r1, float* ap) { kernels.pack_a_bf16(a, lda, m, k, r0, r1, b.pairs, ap); },
        [&](int64_t m0, int64_t m1, int64_t p0, int64_t p1, const float* ap) {
            kernels.gemm_bf16_packed_a(m0, m1, p0, p1, n, k, ap, b, c, ldc, ep);
        });
}

void parallel_gemm_amx(cpu::ThreadPool& pool, const Kernels& kernels, int64_t m, int64_t n, int64_t k, const float* a,
                       int64_t lda, const GemmBf16B& b, float* c, int64_t ldc, const GemmEpilogue& ep) {
    pack_then_split<uint16_t>(  // tasks of two AMX row tiles
        pool, kernels, m, n, k, kernels.amx_rows, 2 * kernels.amx_rows, kernels.packed_a_amx_values(m, k),
        [&](int64_t r0, int64_t r1, uint16_t* ap) { kernels.pack_a_amx(a, lda, m, k, r0, r1, ap); },
        [&](int64_t m0, int64_t m1, int64_t p0, int64_t p1, const uint16_t* ap) {
            kernels.gemm_bf16_amx(m0, m1, p0, p1, n, k, ap, b, c, ldc, ep);
        });
}

void parallel_conv_nhwc(cpu::ThreadPool& pool, const Kernels& kernels, const ConvNhwc& conv, const PackedWeights& w,
                        int64_t rows, float* c, int64_t ldc, const GemmEpilogue& ep) {
    const GemmB b = w.gemm_b();
    run_split(pool, kernels, rows, w.n, kernels.gemm_mr, [&](int64_t m0, int64_t m1, int64_t p0, int64_t p1) {
        kernels.conv_nhwc(conv, m0, m1, p0, p1, w.n, b, c, ldc, ep);
    });
}

void parallel_conv_nhwc_many(cpu::ThreadPool& pool, const Kernels& kernels, int64_t count, const ConvNhwc& conv,
                             int64_t x_stride, const PackedWeights& w, int64_t w_n, int64_t rows, float* c,
                             int64_t c_stride, int64_t ldc, const GemmEpilogue& ep) {
    if (count <= 0 || rows <= 0 || w_n <= 0) return;
    const int64_t panels = (w_n + kernels.gemm_nr - 1) / kernels.gemm_nr;
    // Each convolution is split only as far as the tasks of all of them need (about four per thread).
    const int threads_each = static_cast<int>(std::max<int64_t>(1, pool.threads() / count));
    const Split s = split_work(rows, panels, kernels.gemm_mr, kernels.gemm_nr, threads_each);
    const int64_t each = s.row_chunks * s.panel_chunks;
    const GemmB b = w.gemm_b();
    pool.run_tasks(count * each, [&](int64_t task, int) {
        const int64_t i = task / each;
        const int64_t r = task % each / s.panel_chunks;
        const int64_t p = task % s.panel_chunks;
        const int64_t m0 = r * s.row_chunk;
        const int64_t p0 = p * s.panel_chunk;
        ConvNhwc ci = conv;
        ci.x += i * x_stride;
        GemmB bi = b;
        bi.data += i * panels * b.panel_stride;
        kernels.conv_nhwc(ci, m0, std::min(rows, m0 + s.row_chunk), p0, std::min(panels, p0 + s.panel_chunk), w_n, bi,
                          c + i * c_stride, ldc, ep);
    });
}

void parallel_gemm_packed(cpu::ThreadPool& pool, const Kernels& kernels, const PackedWeights& w, int64_t m,
                          const float* a, int64_t lda, float* c, int64_t ldc, const GemmEpilogue& ep) {
    switch (w.format) {
        case WeightFormat::F32:
        case WeightFormat::F32ConvTaps:
            return parallel_gemm(pool, kernels, m, w.n, w.k, a, lda, w.gemm_b(), c, ldc, ep);
        case WeightFormat::Bf16Amx:
            return parallel_gemm_amx(pool, kernels, m, w.n, w.k, a, lda, w.gemm_bf16_b(), c, ldc, ep);
        case WeightFormat::Bf16:
        case WeightFormat::Bf16Pairs:
            return parallel_gemm_bf16(pool, kernels, m, w.n, w.k, a, lda, w.gemm_bf16_b(), c, ldc, ep);
        case WeightFormat::Bf16AmxRows:
        case WeightFormat::F32Winograd2:
        case WeightFormat::F32Winograd4:
            break;
    }
    throw Error("parallel_gemm_packed: AMX row tiles and Winograd weights are not one Linear's");
}

}  // namespace cliprt::cpu_fast
