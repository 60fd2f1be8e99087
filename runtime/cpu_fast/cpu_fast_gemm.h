// GEMM over the thread pool: C = epilogue(A @ B) split into tasks of row blocks x column panels,
// each run by the ISA's single-threaded kernel. Batch 1 has few rows, so the columns are split too.
#pragma once

#include <cstdint>

#include "cpu/thread_pool.h"
#include "cpu_fast/cpu_fast_kernels.h"
#include "cpu_fast/cpu_fast_packing.h"

namespace cliprt::cpu_fast {

void parallel_gemm(cpu::ThreadPool& pool, const Kernels& kernels, int64_t m, int64_t n, int64_t k, const float* a,
                   int64_t lda, const GemmB& b, float* c, int64_t ldc, const GemmEpilogue& ep);
void parallel_gemm_bf16(cpu::ThreadPool& pool, const Kernels& kernels, int64_t m, int64_t n, int64_t k, const float* a,
                        int64_t lda, const GemmBf16B& b, float* c, int64_t ldc, const GemmEpilogue& ep);

// bf16 on AMX tiles (kernels.gemm_bf16_amx; only when amx_usable()), B as bf16 pair panels.
void parallel_gemm_amx(cpu::ThreadPool& pool, const Kernels& kernels, int64_t m, int64_t n, int64_t k, const float* a,
                       int64_t lda, const GemmBf16B& b, float* c, int64_t ldc, const GemmEpilogue& ep);

// C [m, w.n] = epilogue(A [m, w.k] @ W^T) with W packed as Linear weights in any B format.
// `count` channels-last convolutions of one shape as one set of tasks (Winograd's 16 GEMMs):
// convolution i reads its input at conv.x + i * x_stride, its weights from panel i * ceil(w_n / nr)
// of w (each one's n = w_n columns) and writes C at c + i * c_stride.
void parallel_conv_nhwc_many(cpu::ThreadPool& pool, const Kernels& kernels, int64_t count, const ConvNhwc& conv,
                             int64_t x_stride, const PackedWeights& w, int64_t w_n, int64_t rows, float* c,
                             int64_t c_stride, int64_t ldc, const GemmEpilogue& ep);

void parallel_gemm_packed(cpu::ThreadPool& pool, const Kernels& kernels, const PackedWeights& w, int64_t m,
                          const float* a, int64_t lda, float* c, int64_t ldc, const GemmEpilogue& ep);

// A channels-last convolution (kernels.conv_nhwc) over `rows` output pixels, the weights packed
// as B panels in its k order (PackCache::get_conv_taps): C [rows, w.n], row stride ldc.
void parallel_conv_nhwc(cpu::ThreadPool& pool, const Kernels& kernels, const ConvNhwc& conv, const PackedWeights& w,
                        int64_t rows, float* c, int64_t ldc, const GemmEpilogue& ep);

}  // namespace cliprt::cpu_fast
