// The one matrix-multiply core behind Linear and Conv2d: C[M, N] = A[M, K] @ B[N, K]^T in f32.
//
// A is read in place (rows of stride lda); B is supplied by a packer that copies a block of it
// into a panel, so Linear can read weight rows while Conv2d gathers image patches (implicit
// im2col) without materialising them.
#pragma once

#include <cstdint>
#include <functional>

#include "cpu/thread_pool.h"

namespace cliprt::cpu {

// Columns of C per panel: the micro-kernel keeps a kGemmMr x kGemmNr block of C in registers.
inline constexpr int kGemmNr = 16;

// Fills panel[k * kGemmNr + j] = B[n0 + j][k0 + k] for k < kc and j < nr, and 0 for nr <= j < kGemmNr.
using GemmPackB = std::function<void(int64_t n0, int64_t nr, int64_t k0, int64_t kc, float* panel)>;

// C = A @ B^T, parallel over blocks of C. C rows have stride ldc.
void gemm_abt(ThreadPool& pool, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const GemmPackB& pack_b,
              float* c, int64_t ldc);

}  // namespace cliprt::cpu
