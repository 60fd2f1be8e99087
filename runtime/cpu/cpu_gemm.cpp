#include "cpu/cpu_gemm.h"

#include <algorithm>
#include <cstring>

namespace cliprt::cpu {

namespace {

constexpr int kMr = 4;
constexpr int kNr = kGemmNr;
// Cache blocking: a packed B block (kKc x kNc floats, 128 KiB) stays in L2 while the kMr-row
// slivers of A it meets stay in L1.
constexpr int64_t kKc = 256;
constexpr int64_t kNc = 128;
constexpr int64_t kMc = 128;
static_assert(kNc % kNr == 0 && kMc % kMr == 0);

// C[0:mr, 0:nr] (+)= A[0:mr, 0:kc] @ panel. The independent accumulators of one kMr x kNr block
// let the compiler vectorize over j without reassociating any sum; each C element is still the
// plain sequence of k products within a k block.
void micro_kernel(int64_t kc, const float* a, int64_t lda, const float* panel, float* c, int64_t ldc, int mr, int nr,
                  bool accumulate) {
    const float* rows[kMr];
    for (int i = 0; i < kMr; ++i) rows[i] = a + std::min(i, mr - 1) * lda;  // missing rows repeat the last
    float acc[kMr][kNr] = {};
    for (int64_t k = 0; k < kc; ++k) {
        const float* b = panel + k * kNr;
        for (int i = 0; i < kMr; ++i) {
            const float av = rows[i][k];
            for (int j = 0; j < kNr; ++j) acc[i][j] += av * b[j];
        }
    }
    for (int i = 0; i < mr; ++i) {
        float* out = c + i * ldc;
        for (int j = 0; j < nr; ++j) out[j] = accumulate ? out[j] + acc[i][j] : acc[i][j];
    }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

void gemm_abt(ThreadPool& pool, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const GemmPackB& pack_b,
              float* c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int64_t i = 0; i < m; ++i) std::memset(c + i * ldc, 0, static_cast<size_t>(n) * sizeof(float));
        return;
    }
    const int64_t m_blocks = ceil_div(m, kMc);
    const int64_t n_blocks = ceil_div(n, kNc);
    pool.run_tasks(m_blocks * n_blocks, [&](int64_t task, int thread) {
        const int64_t m0 = task / n_blocks * kMc;
        const int64_t n0 = task % n_blocks * kNc;
        const int64_t mc = std::min(kMc, m - m0);
        const int64_t nc = std::min(kNc, n - n0);
        float* packed = pool.scratch(thread, static_cast<size_t>(kKc * kNc));
        for (int64_t k0 = 0; k0 < k; k0 += kKc) {
            const int64_t kc = std::min(kKc, k - k0);
            for (int64_t p = 0; p < nc; p += kNr)
                pack_b(n0 + p, std::min<int64_t>(kNr, nc - p), k0, kc, packed + p * kc);
            for (int64_t i = 0; i < mc; i += kMr) {
                const int mr = static_cast<int>(std::min<int64_t>(kMr, mc - i));
                for (int64_t p = 0; p < nc; p += kNr) {
                    const int nr = static_cast<int>(std::min<int64_t>(kNr, nc - p));
                    micro_kernel(kc, a + (m0 + i) * lda + k0, lda, packed + p * kc, c + (m0 + i) * ldc + n0 + p, ldc,
                                 mr, nr, k0 > 0);
                }
            }
        }
    });
}

}  // namespace cliprt::cpu
