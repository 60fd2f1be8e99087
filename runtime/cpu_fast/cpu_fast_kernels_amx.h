// bf16 GEMM on Intel AMX tiles (AMX-TILE + AMX-BF16: Sapphire Rapids and later Xeons), part of the
// AVX-512 kernel table: included only by cpu_fast_kernels_avx512.cpp; it builds on cpu_fast_kernels_impl.h
// (it reuses that file's epilogue). The functions carry their own target attributes, so the table
// still loads on AVX-512 processors without AMX; the backend only calls them when amx_usable().
//
// One tile multiply (TDPBF16PS) is 16 x 16 x 32 multiply-adds: about eight times the work of an
// AVX-512 bf16 dot product per instruction, and AVX512_BF16 itself runs no faster than f32 FMA on
// these processors. So AMX is what makes bf16 weights pay on the CPU.
//
// Layouts:
// - A: bf16, row-major, rows padded to a multiple of kAmxRows and k to a multiple of kAmxK (zeros),
//   made by pack_a_amx from the f32 activations (rounded to nearest even).
// - B: the AVX-512 panels of bf16 pairs (GemmBf16B with `pairs`, kNr = 32 columns), with the pair
//   count padded to a multiple of 16: rows kp..kp+15 of a panel are two B tiles side by side (columns
//   0-15 at +0 bytes, 16-31 at +64; row stride 128 bytes), exactly the VNNI layout TDPBF16PS reads.
// - C: four 16 x 16 f32 tiles per 32 x 32 block, stored into a stack block of kNr-float rows that
//   store_block finishes with the bias / residual / activation epilogue.
#pragma once

#if defined(CLIPRT_FAST_AVX512)

#include <immintrin.h>

#include "cpu_fast/cpu_fast_kernels_impl.h"  // kNr, Vec, store_block, with_activation

namespace cliprt::cpu_fast {
namespace {

constexpr int kAmxRows = 16;  // rows of one A or C tile
constexpr int kAmxK = 32;     // bf16 values per A tile row (64 bytes)
static_assert(kNr == 32, "AMX blocks pair two 16-column B tiles per 32-column panel");

// The palette-1 tile configuration: tiles 0-3 C (16 x 16 f32), 4-5 A (16 x 32 bf16), 6-7 B
// (16 pairs x 16 columns). Every tile is 16 rows of 64 bytes.
struct alignas(64) AmxConfig {
    uint8_t palette = 1;
    uint8_t start_row = 0;
    uint8_t reserved[14] = {};
    uint16_t bytes_per_row[16] = {};
    uint8_t rows[16] = {};
};

__attribute__((target("amx-tile"))) inline void amx_configure() {
    AmxConfig config;
    for (int t = 0; t < 8; ++t) {
        config.bytes_per_row[t] = 64;
        config.rows[t] = kAmxRows;
    }
    _tile_loadconfig(&config);
}

// C[m0:m1, panels p0:p1] = epilogue(A @ B). m0 is a multiple of kAmxRows; A has rows up to m1
// rounded up to 2 * kAmxRows (pack_a_amx pads them), lda = k padded to kAmxK (in bf16 values).
__attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl"))) void gemm_bf16_amx(
    int64_t m0, int64_t m1, int64_t p0, int64_t p1, int64_t n, int64_t k, const uint16_t* a, const GemmBf16B& b,
    float* c, int64_t ldc, const GemmEpilogue& ep) {
    const int64_t lda = (k + kAmxK - 1) / kAmxK * kAmxK;
    const int64_t a_stride = lda * 2;    // bytes
    const int64_t b_stride = b.ldb * 2;  // bytes per pair row: 32 columns x 2 bf16
    alignas(64) float block[2 * kAmxRows * kNr];
    amx_configure();
    for (int64_t p = p0; p < p1; ++p) {
        const uint16_t* panel = b.data + p * b.panel_stride;
        const int cols = static_cast<int>(std::min<int64_t>(kNr, n - p * kNr));
        for (int64_t row0 = m0; row0 < m1; row0 += 2 * kAmxRows) {
            const bool two = m1 - row0 > kAmxRows;  // a second row tile of C holds valid rows
            const uint16_t* a0 = a + row0 * lda;
            _tile_zero(0);
            _tile_zero(1);
            if (two) {
                _tile_zero(2);
                _tile_zero(3);
            }
            for (int64_t kk = 0; kk < lda; kk += kAmxK) {
                const uint16_t* bk = panel + kk / 2 * b.ldb;
                _tile_loadd(6, bk, b_stride);
                _tile_loadd(7, bk + 32, b_stride);
                _tile_loadd(4, a0 + kk, a_stride);
                _tile_dpbf16ps(0, 4, 6);
                _tile_dpbf16ps(1, 4, 7);
                if (two) {
                    _tile_loadd(5, a0 + kAmxRows * lda + kk, a_stride);
                    _tile_dpbf16ps(2, 5, 6);
                    _tile_dpbf16ps(3, 5, 7);
                }
            }
            constexpr int64_t row_bytes = kNr * sizeof(float);
            _tile_stored(0, block, row_bytes);
            _tile_stored(1, block + 16, row_bytes);
            if (two) {
                _tile_stored(2, block + kAmxRows * kNr, row_bytes);
                _tile_stored(3, block + kAmxRows * kNr + 16, row_bytes);
            }
            const int rows = static_cast<int>(std::min<int64_t>(2 * kAmxRows, m1 - row0));
            float* ct = c + row0 * ldc + p * kNr;
            with_activation(ep.act,
                            [&]<Activation A>() { store_block<A>(block, rows, cols, ct, ldc, ep, row0, p * kNr); });
        }
    }
    _tile_release();
}

// Rows [r0, r1) of A [rows, k] (row stride lda_in, in floats) as AMX's bf16 rows: row r at
// out + r * lda, lda = k padded to kAmxK; the padding columns, and rows from `rows` up to r1, are
// zero. r0 and r1 are multiples of kAmxRows or r1 is the padded row count.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void pack_a_amx(const float* a, int64_t lda_in,
                                                                                int64_t rows, int64_t k, int64_t r0,
                                                                                int64_t r1, uint16_t* out) {
    const int64_t lda = (k + kAmxK - 1) / kAmxK * kAmxK;
    for (int64_t r = r0; r < r1; ++r) {
        uint16_t* dst = out + r * lda;
        if (r >= rows) {
            std::memset(dst, 0, static_cast<size_t>(lda) * 2);
            continue;
        }
        const float* src = a + r * lda_in;
        for (int64_t j = 0; j < lda; j += 32) {
            const int lo = static_cast<int>(std::clamp<int64_t>(k - j, 0, 16));
            const int hi = static_cast<int>(std::clamp<int64_t>(k - j - 16, 0, 16));
            const __m512 v0 = _mm512_maskz_loadu_ps(Vec::mask(lo), src + j);
            const __m512 v1 = hi > 0 ? _mm512_maskz_loadu_ps(Vec::mask(hi), src + j + 16) : _mm512_setzero_ps();
            // cvtne2ps puts its second operand in the low half.
            _mm512_storeu_si512(dst + j, (__m512i)_mm512_cvtne2ps_pbh(v1, v0));
        }
    }
}

// A f32 B panel (row kk at panel + kk * kNr, k rows) as bf16 pairs for gemm_bf16_amx: pair row kp
// holds, for each of the kNr columns, rows 2 kp and 2 kp + 1 side by side; the pair count is padded
// with zeros to a multiple of 16 (amx_b_pairs_values).
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void pack_b_pairs_amx(const float* panel, int64_t k,
                                                                                      uint16_t* out) {
    const int64_t pairs = ((k + 1) / 2 + 15) / 16 * 16;
    // Interleaves the 16-bit elements of two vectors: a0 b0 a1 b1 ... (low half, then high half).
    alignas(64) static constexpr uint16_t lo_order[32] = {0, 32, 1, 33, 2,  34, 3,  35, 4,  36, 5,  37, 6,  38, 7,  39,
                                                          8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
    alignas(64) static constexpr uint16_t hi_order[32] = {16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21,
                                                          53, 22, 54, 23, 55, 24, 56, 25, 57, 26, 58,
                                                          27, 59, 28, 60, 29, 61, 30, 62, 31, 63};
    const __m512i lo = _mm512_load_si512(lo_order);
    const __m512i hi = _mm512_load_si512(hi_order);
    for (int64_t kp = 0; kp < pairs; ++kp) {
        auto row = [&](int64_t kk) {  // 32 columns in bf16, zero past k
            if (kk >= k) return _mm512_setzero_si512();
            const float* r = panel + kk * kNr;
            return (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(r + 16), _mm512_loadu_ps(r));
        };
        const __m512i even = row(2 * kp);
        const __m512i odd = row(2 * kp + 1);
        _mm512_storeu_si512(out + kp * 2 * kNr, _mm512_permutex2var_epi16(even, lo, odd));
        _mm512_storeu_si512(out + kp * 2 * kNr + kNr, _mm512_permutex2var_epi16(even, hi, odd));
    }
}

}  // namespace
}  // namespace cliprt::cpu_fast

#endif
