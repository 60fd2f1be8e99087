// The bodies of the fast CPU kernels, written once over `Vec` (cpu_fast_vec.h) and included by one
// translation unit per instruction set (cpu_fast_kernels_<isa>.cpp), each compiled with its own
// target flags. Nothing here may be included anywhere else: the code differs per ISA.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_fast/cpu_fast_kernels.h"
#include "cpu_fast/cpu_fast_vec.h"

namespace cliprt::cpu_fast {
namespace {

using V = Vec::V;
constexpr int kW = Vec::kWidth;
constexpr int kMr = Vec::kGemmMr;
constexpr int kNr = 2 * kW;  // two vectors of columns per register block

// ---- math ----

// exp(x), Cephes' expf: x = n ln2 + r, |r| <= ln2 / 2, exp(r) by a degree-6 polynomial; about 1 ulp.
inline V vexp(V x) {
    x = Vec::min(Vec::max(x, Vec::set1(-87.3f)), Vec::set1(88.7f));
    const V n = Vec::round(Vec::mul(x, Vec::set1(1.44269504088896341f)));
    V r = Vec::fmadd(n, Vec::set1(-0.693359375f), x);
    r = Vec::fmadd(n, Vec::set1(2.12194440e-4f), r);
    V p = Vec::set1(1.9875691500e-4f);
    p = Vec::fmadd(p, r, Vec::set1(1.3981999507e-3f));
    p = Vec::fmadd(p, r, Vec::set1(8.3334519073e-3f));
    p = Vec::fmadd(p, r, Vec::set1(4.1665795894e-2f));
    p = Vec::fmadd(p, r, Vec::set1(1.6666665459e-1f));
    p = Vec::fmadd(p, r, Vec::set1(5.0000001201e-1f));
    p = Vec::fmadd(p, Vec::mul(r, r), Vec::add(r, Vec::set1(1.0f)));
    return Vec::mul(p, Vec::pow2i(n));
}

// erf(x) as a rational function of odd and even polynomials (the approximation Eigen and XLA use),
// exact to a few ulp; |x| >= 4 is +-1 in f32.
inline V verf(V x) {
    x = Vec::min(Vec::max(x, Vec::set1(-4.0f)), Vec::set1(4.0f));
    const V x2 = Vec::mul(x, x);
    V p = Vec::set1(-2.72614225801306e-10f);
    p = Vec::fmadd(x2, p, Vec::set1(2.77068142495902e-08f));
    p = Vec::fmadd(x2, p, Vec::set1(-2.10102402082508e-06f));
    p = Vec::fmadd(x2, p, Vec::set1(-5.69250639462346e-05f));
    p = Vec::fmadd(x2, p, Vec::set1(-7.34990630326855e-04f));
    p = Vec::fmadd(x2, p, Vec::set1(-2.95459980854025e-03f));
    p = Vec::fmadd(x2, p, Vec::set1(-1.60960333262415e-02f));
    p = Vec::mul(x, p);
    V q = Vec::set1(-1.45660718464996e-05f);
    q = Vec::fmadd(x2, q, Vec::set1(-2.13374055278905e-04f));
    q = Vec::fmadd(x2, q, Vec::set1(-1.68282697438203e-03f));
    q = Vec::fmadd(x2, q, Vec::set1(-7.37332916720468e-03f));
    q = Vec::fmadd(x2, q, Vec::set1(-1.42647390514189e-02f));
    const V e = Vec::fast_div(p, q);
    // Past 3.98 erf is +-1 in f32; the reciprocal's last-bit error would leave 1 - 6e-8 there,
    // which GELU multiplies by x (GELU(-1e4) would read -3e-4). step is 1 past 3.98, else 0.
    const V step = Vec::min(Vec::max(Vec::mul(Vec::sub(Vec::abs(x), Vec::set1(3.98f)), Vec::set1(1e30f)), Vec::zero()),
                            Vec::set1(1.0f));
    return Vec::copysign(Vec::max(Vec::min(Vec::abs(e), Vec::set1(1.0f)), step), x);
}

// exp's argument is capped at 80 where it feeds a reciprocal: exp(88.7) is inf, and the
// reciprocal's Newton step turns 1 / inf into NaN (sigmoid(-80) < 2e-35, tanh(40) = 1 in f32).
inline V vsigmoid(V x) {
    const V one = Vec::set1(1.0f);
    const V e = vexp(Vec::min(Vec::sub(Vec::zero(), x), Vec::set1(80.0f)));
    return Vec::fast_div(one, Vec::add(one, e));
}

// tanh(u) = sign(u) (1 - 2 / (exp(2|u|) + 1)): no overflow, absolute error ~1e-7.
inline V vtanh(V u) {
    const V one = Vec::set1(1.0f);
    const V e = vexp(Vec::min(Vec::mul(Vec::set1(2.0f), Vec::abs(u)), Vec::set1(80.0f)));
    const V t = Vec::sub(one, Vec::fast_div(Vec::set1(2.0f), Vec::add(e, one)));
    return Vec::copysign(t, u);
}

template <Activation A>
inline V activate(V x) {
    if constexpr (A == Activation::None) {
        return x;
    } else if constexpr (A == Activation::Relu) {
        return Vec::max(x, Vec::zero());
    } else if constexpr (A == Activation::Gelu) {  // 0.5 x (1 + erf(x / sqrt 2)), exact erf as torch
        const V e = verf(Vec::mul(x, Vec::set1(0.70710678118654752f)));
        return Vec::mul(Vec::mul(Vec::set1(0.5f), x), Vec::add(Vec::set1(1.0f), e));
    } else if constexpr (A == Activation::GeluTanh) {
        const V x3 = Vec::mul(Vec::mul(x, x), x);
        const V u = Vec::mul(Vec::set1(0.7978845608028654f), Vec::fmadd(Vec::set1(0.044715f), x3, x));
        return Vec::mul(Vec::mul(Vec::set1(0.5f), x), Vec::add(Vec::set1(1.0f), vtanh(u)));
    } else if constexpr (A == Activation::QuickGelu) {  // x * sigmoid(1.702 x)
        return Vec::mul(x, vsigmoid(Vec::mul(Vec::set1(1.702f), x)));
    } else {
        static_assert(A == Activation::Sigmoid);
        return vsigmoid(x);
    }
}

// Calls f.template operator()<A>() for the run-time activation: one switch per block, not per element.
template <typename F>
inline void with_activation(Activation act, F&& f) {
    switch (act) {
        case Activation::None:
            return f.template operator()<Activation::None>();
        case Activation::Relu:
            return f.template operator()<Activation::Relu>();
        case Activation::Gelu:
            return f.template operator()<Activation::Gelu>();
        case Activation::GeluTanh:
            return f.template operator()<Activation::GeluTanh>();
        case Activation::QuickGelu:
            return f.template operator()<Activation::QuickGelu>();
        case Activation::Sigmoid:
            return f.template operator()<Activation::Sigmoid>();
    }
}

// ---- GEMM ----

#if defined(CLIPRT_FAST_AVX512)
// r[i] becomes column i of the 16 x 16 matrix whose rows were r[0..15].
inline void transpose16(__m512 (&r)[16]) {
    __m512 t[16], u[16], v[16];
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {
        u[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int h = 0; h < 2; ++h) {
        for (int i = 0; i < 4; ++i) {
            v[8 * h + i] = _mm512_shuffle_f32x4(u[8 * h + i], u[8 * h + 4 + i], 0x88);
            v[8 * h + 4 + i] = _mm512_shuffle_f32x4(u[8 * h + i], u[8 * h + 4 + i], 0xdd);
        }
    }
    for (int i = 0; i < 8; ++i) {
        r[i] = _mm512_shuffle_f32x4(v[i], v[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(v[i], v[8 + i], 0xdd);
    }
}

// A full tile's columns [0, k16) (a multiple of 16) by 16 x 16 transposes: the scalar copy below
// was 6 % of a ViT forward.
inline void pack_tile_avx512(const float* rows, int64_t lda, int64_t k16, float* tile) {
    static_assert(kMr <= 16);
    for (int64_t kk = 0; kk < k16; kk += 16) {
        __m512 r[16];
        for (int i = 0; i < 16; ++i) r[i] = i < kMr ? _mm512_loadu_ps(rows + i * lda + kk) : _mm512_setzero_ps();
        transpose16(r);
        for (int j = 0; j < 16; ++j) _mm512_mask_storeu_ps(tile + (kk + j) * kMr, Vec::mask(kMr), r[j]);
    }
}
#endif

// Packs rows [r0, r0 + rows) of A (k columns) into kMr-row tiles, each stored k-major: tile t
// element (kk, i) at out[t * k * kMr + kk * kMr + i]. Rows past the end of A are zero.
inline void pack_a(const float* a, int64_t lda, int64_t r0, int64_t rows, int64_t k, float* out) {
    for (int64_t t = 0; t * kMr < rows; ++t) {
        float* tile = out + t * k * kMr;
        const int valid = static_cast<int>(std::min<int64_t>(kMr, rows - t * kMr));
#if defined(CLIPRT_FAST_AVX512)
        if (valid == kMr) {
            const int64_t k16 = k / 16 * 16;
            pack_tile_avx512(a + (r0 + t * kMr) * lda, lda, k16, tile);
            for (int i = 0; i < kMr; ++i) {
                const float* src = a + (r0 + t * kMr + i) * lda;
                for (int64_t kk = k16; kk < k; ++kk) tile[kk * kMr + i] = src[kk];
            }
            continue;
        }
#endif
        for (int i = 0; i < valid; ++i) {
            const float* src = a + (r0 + t * kMr + i) * lda;
            for (int64_t kk = 0; kk < k; ++kk) tile[kk * kMr + i] = src[kk];
        }
        for (int i = valid; i < kMr; ++i) {
            for (int64_t kk = 0; kk < k; ++kk) tile[kk * kMr + i] = 0.0f;
        }
    }
}

// Stores a register block: rows [0, rows), columns [0, cols) of C at c, after the epilogue.
// tile holds the R x kNr accumulators (row i at tile + i * kNr).
template <Activation A>
void store_block(const float* tile, int rows, int cols, float* c, int64_t ldc, const GemmEpilogue& ep, int64_t row0,
                 int64_t col0) {
    V bias0 = Vec::zero();
    V bias1 = Vec::zero();
    if (ep.bias != nullptr && !ep.bias_per_row) {
        bias0 = cols >= kW ? Vec::load(ep.bias + col0) : Vec::load_n(ep.bias + col0, cols);
        bias1 = cols >= kNr ? Vec::load(ep.bias + col0 + kW)
                            : (cols > kW ? Vec::load_n(ep.bias + col0 + kW, cols - kW) : Vec::zero());
    }
    for (int i = 0; i < rows; ++i) {
        V v0 = Vec::load(tile + i * kNr);
        V v1 = Vec::load(tile + i * kNr + kW);
        if (ep.bias != nullptr) {
            if (ep.bias_per_row) {
                const V b = Vec::set1(ep.bias[row0 + i]);
                v0 = Vec::add(v0, b);
                v1 = Vec::add(v1, b);
            } else {
                v0 = Vec::add(v0, bias0);
                v1 = Vec::add(v1, bias1);
            }
        }
        float* out = c + i * ldc;
        if (cols >= kNr) {
            if (ep.residual != nullptr) {
                const float* res = ep.residual + (row0 + i) * ep.ldr + col0;
                v0 = Vec::add(v0, Vec::load(res));
                v1 = Vec::add(v1, Vec::load(res + kW));
            }
            Vec::store(out, activate<A>(v0));
            Vec::store(out + kW, activate<A>(v1));
        } else {
            const int n0 = std::min(cols, kW);
            const int n1 = cols - n0;
            if (ep.residual != nullptr) {
                const float* res = ep.residual + (row0 + i) * ep.ldr + col0;
                v0 = Vec::add(v0, Vec::load_n(res, n0));
                if (n1 > 0) v1 = Vec::add(v1, Vec::load_n(res + kW, n1));
            }
            Vec::store_n(out, activate<A>(v0), n0);
            if (n1 > 0) Vec::store_n(out + kW, activate<A>(v1), n1);
        }
    }
}

// The lines of `cols` floats at p (one or two).
inline void prefetch_row(const float* p, int cols, bool write) {
    const uintptr_t first = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63};
    const uintptr_t last = (reinterpret_cast<uintptr_t>(p + cols) - 1) & ~uintptr_t{63};
    for (uintptr_t line = first; line <= last; line += 64) {
        if (write)
            __builtin_prefetch(reinterpret_cast<const void*>(line), 1, 3);
        else
            __builtin_prefetch(reinterpret_cast<const void*>(line), 0, 3);
    }
}

// A block accumulates from zero and adds the partial sums of the earlier k blocks (and the
// residual) only at its end, so their lines, prefetched here before the k loop, arrive while it
// computes: loading them first stalled every block on C rows that no prefetcher predicts (a
// conv's output rows are a whole image plane apart). cliprt_gemm_bench avx2 on one thread, weights
// from memory: 56 -> 71 GFLOP/s over its shapes.
template <int R>
inline void start_block(V (&acc0)[R], V (&acc1)[R], int cols, const float* c, int64_t ldc, const GemmEpilogue& ep,
                        int64_t row0, int64_t col0, bool first, bool last) {
    for (int i = 0; i < R; ++i) {
        acc0[i] = Vec::zero();
        acc1[i] = Vec::zero();
        prefetch_row(c + i * ldc, cols, first);
        if (last && ep.residual != nullptr) prefetch_row(ep.residual + (row0 + i) * ep.ldr + col0, cols, false);
    }
}

// The accumulators go through a stack tile: passing them on by reference would make the compiler
// keep them in memory inside the k loop. Only the last k block applies the epilogue; earlier ones
// store the partial sums, which later ones add (see start_block).
template <int R>
inline void finish_block(V (&acc0)[R], V (&acc1)[R], int cols, float* c, int64_t ldc, const GemmEpilogue& ep,
                         int64_t row0, int64_t col0, bool first, bool last) {
    // Whole blocks move with plain loads and stores: AVX2's masked store is microcoded on AMD, and
    // a block's partial sums are 12 of them (conv GEMMs of several k blocks measured +8 % over
    // cliprt_gemm_bench's conv shapes on a Zen 3).
    const bool whole = cols >= kNr;
    const int n0 = std::min(cols, kW);
    const int n1 = std::max(cols - kW, 0);
    if (!first) {
        for (int i = 0; i < R; ++i) {
            const float* row = c + i * ldc;
            if (whole) {
                acc0[i] = Vec::add(acc0[i], Vec::load(row));
                acc1[i] = Vec::add(acc1[i], Vec::load(row + kW));
                continue;
            }
            acc0[i] = Vec::add(acc0[i], Vec::load_n(row, n0));
            if (n1 > 0) acc1[i] = Vec::add(acc1[i], Vec::load_n(row + kW, n1));
        }
    }
    if (!last) {
        for (int i = 0; i < R; ++i) {
            float* row = c + i * ldc;
            if (whole) {
                Vec::store(row, acc0[i]);
                Vec::store(row + kW, acc1[i]);
                continue;
            }
            Vec::store_n(row, acc0[i], n0);
            if (n1 > 0) Vec::store_n(row + kW, acc1[i], n1);
        }
        return;
    }
    alignas(64) float tile[R * kNr];
    for (int i = 0; i < R; ++i) {
        Vec::store(tile + i * kNr, acc0[i]);
        Vec::store(tile + i * kNr + kW, acc1[i]);
    }
    with_activation(ep.act, [&]<Activation A>() { store_block<A>(tile, R, cols, c, ldc, ep, row0, col0); });
}

// bf16 weights widened to f32 (any ISA).
inline V load_bf16(const uint16_t* p) {
    alignas(64) float tmp[kW];
    for (int j = 0; j < kW; ++j) {
        const uint32_t bits = static_cast<uint32_t>(p[j]) << 16;
        std::memcpy(&tmp[j], &bits, sizeof(float));
    }
    return Vec::load(tmp);
}

#if defined(CLIPRT_FAST_AVX512)
inline V load_bf16_vec(const uint16_t* p) {
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}
#elif defined(CLIPRT_FAST_AVX2)
inline V load_bf16_vec(const uint16_t* p) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}
#else
inline V load_bf16_vec(const uint16_t* p) { return load_bf16(p); }
#endif

// B rows ahead of the one in use that the first row tile of a k block prefetches into L1: that
// tile is the first to read the panel slice.
constexpr int64_t kPrefetchRows = 24;

// Lines of the B slice that the next block will read, which this row tile brings into L2 while
// it computes: every tile of a block takes its share, so the next slice streams in from memory
// during the whole block's arithmetic instead of stalling its first tile (at batch 1 a forward's
// weights, 350 MB for ViT-B-32, cost about as much time to read as to multiply).
struct NextSlice {
    const char* lines = nullptr;
    int64_t count = 0;
};

// Issues the prefetches of `next` spread evenly over k iterations (Bresenham: `due` counts
// count / k lines per iteration).
class SpreadPrefetch {
public:
    SpreadPrefetch(NextSlice next, int64_t k) : next_(next), k_(k) {}
    void step() {
        due_ += next_.count;
        while (due_ >= k_) {
            due_ -= k_;
            __builtin_prefetch(next_.lines, 0, 2);
            next_.lines += 64;
        }
    }

private:
    NextSlice next_;
    int64_t k_;
    int64_t due_ = 0;
};

// One R x kNr block of C from a packed A tile (k-major, kMr per k) and one f32 B panel (bf16
// panels are widened a slice at a time first, see gemm_bf16_packed_a).
template <int R, bool Lead>
void gemm_block(int64_t k, const float* ap, const float* b, int64_t ldb, int cols, float* c, int64_t ldc,
                const GemmEpilogue& ep, int64_t row0, int64_t col0, bool first, bool last, NextSlice next) {
    V acc0[R];
    V acc1[R];
    start_block<R>(acc0, acc1, cols, c, ldc, ep, row0, col0, first, last);
    SpreadPrefetch spread(next, k);
    for (int64_t kk = 0; kk < k; ++kk) {
        if constexpr (Lead) {
            const char* ahead = reinterpret_cast<const char*>(b + (kk + kPrefetchRows) * ldb);
            __builtin_prefetch(ahead, 0, 3);
            if constexpr (kNr * 4 > 64) __builtin_prefetch(ahead + 64, 0, 3);
        }
        spread.step();
        const V b0 = Vec::load(b + kk * ldb);
        const V b1 = Vec::load(b + kk * ldb + kW);
        const float* a = ap + kk * kMr;
#pragma GCC unroll 16
        for (int i = 0; i < R; ++i) {
            const V av = Vec::set1(a[i]);
            acc0[i] = Vec::fmadd(av, b0, acc0[i]);
            acc1[i] = Vec::fmadd(av, b1, acc1[i]);
        }
    }
    finish_block<R>(acc0, acc1, cols, c, ldc, ep, row0, col0, first, last);
}

#if defined(CLIPRT_FAST_AVX512)
// bf16 dot products (AVX512_BF16): A tile packed as k pairs of bf16 in one 32-bit word per row.
template <int R>
__attribute__((target("avx512bf16"))) void block_bf16_pairs(int64_t kpairs, const uint32_t* ap, const uint16_t* b,
                                                            int64_t ldb, int cols, float* c, int64_t ldc,
                                                            const GemmEpilogue& ep, int64_t row0, int64_t col0,
                                                            bool first, bool last, NextSlice next) {
    V acc0[R];
    V acc1[R];
    start_block<R>(acc0, acc1, cols, c, ldc, ep, row0, col0, first, last);
    SpreadPrefetch spread(next, kpairs);
    for (int64_t kp = 0; kp < kpairs; ++kp) {
        spread.step();
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + kp * ldb);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + kp * ldb + 2 * kW);
        const uint32_t* a = ap + kp * kMr;
#pragma GCC unroll 16
        for (int i = 0; i < R; ++i) {
            const __m512bh av = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[i]));
            acc0[i] = _mm512_dpbf16_ps(acc0[i], av, b0);
            acc1[i] = _mm512_dpbf16_ps(acc1[i], av, b1);
        }
    }
    finish_block<R>(acc0, acc1, cols, c, ldc, ep, row0, col0, first, last);
}

inline uint16_t to_bf16(float x) {  // round to nearest even (inputs are finite activations)
    uint32_t bits;
    std::memcpy(&bits, &x, sizeof(bits));
    if ((bits & 0x7f800000u) == 0x7f800000u) return static_cast<uint16_t>(bits >> 16 | ((bits & 0xffff) ? 0x40 : 0));
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<uint16_t>(bits >> 16);
}

// Rows [r0, r0 + rows) of A as kMr-row tiles of bf16 pairs: tile t word (kp, i) at
// out[t * kpairs * kMr + kp * kMr + i]. An odd k is padded with zero.
inline void pack_a_pairs(const float* a, int64_t lda, int64_t r0, int64_t rows, int64_t k, uint32_t* out) {
    const int64_t kpairs = (k + 1) / 2;
    for (int64_t t = 0; t * kMr < rows; ++t) {
        uint32_t* tile = out + t * kpairs * kMr;
        const int valid = static_cast<int>(std::min<int64_t>(kMr, rows - t * kMr));
        for (int i = 0; i < kMr; ++i) {
            const float* src = i < valid ? a + (r0 + t * kMr + i) * lda : nullptr;
            for (int64_t kp = 0; kp < kpairs; ++kp) {
                const uint32_t lo = src != nullptr ? to_bf16(src[2 * kp]) : 0;
                const uint32_t hi = src != nullptr && 2 * kp + 1 < k ? to_bf16(src[2 * kp + 1]) : 0;
                tile[kp * kMr + i] = lo | hi << 16;
            }
        }
    }
}
#endif

template <typename Block>
inline void dispatch_rows(int rows, Block&& block) {
    switch (rows) {
#define CLIPRT_ROWS_CASE(r)                                     \
    case r:                                                     \
        if constexpr (r <= kMr) block.template operator()<r>(); \
        break;
        CLIPRT_ROWS_CASE(1)
        CLIPRT_ROWS_CASE(2)
        CLIPRT_ROWS_CASE(3)
        CLIPRT_ROWS_CASE(4)
        CLIPRT_ROWS_CASE(5)
        CLIPRT_ROWS_CASE(6)
        CLIPRT_ROWS_CASE(7)
        CLIPRT_ROWS_CASE(8)
        CLIPRT_ROWS_CASE(9)
        CLIPRT_ROWS_CASE(10)
        CLIPRT_ROWS_CASE(11)
        CLIPRT_ROWS_CASE(12)
        CLIPRT_ROWS_CASE(13)
        CLIPRT_ROWS_CASE(14)
#undef CLIPRT_ROWS_CASE
        default:
            break;
    }
}

// Cache blocking for the packed-A drivers: a k block of one B panel (kKc x kNr) stays in L1 while
// every row tile of an m block passes it; the m block's k slice of A (kMc x kKc) stays in L2. The
// block's first ("lead") row tile prefetches the panel into L1, and every tile brings its share of
// the next block's panel slice into L2.
constexpr int64_t kKc = 256;  // even, so bf16 pairs never straddle two blocks
constexpr int64_t kMc = 32 * kMr;

// One row tile's step of the blocked loops.
struct BlockStep {
    int64_t kb, kc;  // the k block
    int64_t row0;
    int rows;
    int64_t p;  // the panel
    bool first, last;
    int tile, tiles;                   // this row tile in its block (0: the lead), and the block's row tiles
    int64_t next_p, next_kb, next_kc;  // the panel slice the next block reads (next_p < 0: none)
};

// Rows of A whose whole k (a_row_bytes each) fit this much of L2 run panel by panel (A stays in
// L2 across the panels, B streams once); a taller A runs k block by k block, so that each k slice
// of A stays in L2 while every panel passes (ViT-B-32's batch 8 at k = 3072 was 2.4 MB per task).
inline int64_t panel_order_bytes() { return l2_cache_bytes() / 4 * 3; }

template <typename Block>
inline void blocked_loops(int64_t m0, int64_t m1, int64_t p0, int64_t p1, int64_t k, int64_t a_row_bytes,
                          bool panels_cached, Block&& block) {
    const auto row_tiles = [](int64_t r0, int64_t r1) { return static_cast<int>((r1 - r0 + kMr - 1) / kMr); };
    const auto run_block = [&](int64_t kb, int64_t kc, int64_t r0, int64_t r1, int64_t p, int64_t next_p,
                               int64_t next_kb) {
        const int tiles = row_tiles(r0, r1);
        const int64_t next_kc = next_p < 0 ? 0 : std::min(kKc, k - next_kb);
        for (int t = 0; t < tiles; ++t) {
            const int64_t row0 = r0 + t * kMr;
            block(BlockStep{kb, kc, row0, static_cast<int>(std::min<int64_t>(kMr, r1 - row0)), p, kb == 0, kb + kc >= k,
                            t, tiles, next_p, next_kb, next_kc});
        }
    };
    const int64_t padded_rows = row_tiles(m0, m1) * kMr;
    if (!panels_cached && m1 - m0 <= kMc && padded_rows * a_row_bytes <= panel_order_bytes()) {
        for (int64_t p = p0; p < p1; ++p) {  // each panel in turn, all its k blocks: one stream of B
            for (int64_t kb = 0; kb < k; kb += kKc) {
                const bool more_k = kb + kKc < k;
                const int64_t next_p = more_k ? p : (p + 1 < p1 ? p + 1 : -1);
                run_block(kb, std::min(kKc, k - kb), m0, m1, p, next_p, more_k ? kb + kKc : 0);
            }
        }
        return;
    }
    // m blocks of at most kMc rows, all about the same height: each reads the whole B slice, and a
    // short last block (ViT-B-32's batch 8: 400 rows, blocks of 192, 192 and 16) read it for few
    // rows, at the memory's speed instead of the FMAs'.
    const int64_t blocks = (padded_rows + kMc - 1) / kMc;
    const int64_t mc = (padded_rows / kMr + blocks - 1) / blocks * kMr;
    for (int64_t kb = 0; kb < k; kb += kKc) {
        const int64_t kc = std::min(kKc, k - kb);
        for (int64_t mb = m0; mb < m1; mb += mc) {
            const bool last_mb = mb + mc >= m1;
            for (int64_t p = p0; p < p1; ++p) {
                // Next: the following panel, or after the last m block the next k block's first.
                // (None when the panels are cached: the B prefetch would find them in L2.)
                const int64_t next_p = panels_cached ? -1 : (p + 1 < p1 ? p + 1 : (last_mb && kb + kKc < k ? p0 : -1));
                run_block(kb, kc, mb, std::min(m1, mb + mc), p, next_p, p + 1 < p1 ? kb : kb + kKc);
            }
        }
    }
}

// This row tile's share of the next block's panel slice (panels of row_bytes per k).
inline NextSlice next_slice(const BlockStep& s, const void* panels, int64_t panel_stride_bytes, int64_t row_bytes) {
    if (s.next_p < 0) return {};
    const int64_t lines = s.next_kc * row_bytes / 64;
    const int64_t l0 = lines * s.tile / s.tiles;
    const int64_t l1 = lines * (s.tile + 1) / s.tiles;
    const char* slice = static_cast<const char*>(panels) + s.next_p * panel_stride_bytes + s.next_kb * row_bytes;
    return {slice + l0 * 64, l1 - l0};
}

void gemm_f32_packed_a(int64_t m0, int64_t m1, int64_t p0, int64_t p1, int64_t n, int64_t k, const float* ap,
                       const GemmB& b, float* c, int64_t ldc, const GemmEpilogue& ep) {
    blocked_loops(m0, m1, p0, p1, k, k * 4, b.panels_cached, [&](const BlockStep& s) {
        const float* panel = b.data + s.p * b.panel_stride + s.kb * b.ldb;
        const int cols = static_cast<int>(std::min<int64_t>(kNr, n - s.p * kNr));
        float* ct = c + s.row0 * ldc + s.p * kNr;
        const float* at = ap + s.row0 * k + s.kb * kMr;  // tile row0 / kMr, k slice kb
        NextSlice next = next_slice(s, b.data, b.panel_stride * 4, b.ldb * 4);
        // With the panels in cache A is what streams (a convolution's weights): on the first
        // panel's pass each tile brings the next tile's k slice into L2, the later panels find
        // the block's A there.
        if (b.panels_cached && s.p == p0 && s.tile + 1 < s.tiles)
            next = {reinterpret_cast<const char*>(at + kMr * k), kMr * s.kc * 4 / 64};
        dispatch_rows(s.rows, [&]<int R>() {
            if (s.tile == 0)
                gemm_block<R, true>(s.kc, at, panel, b.ldb, cols, ct, ldc, ep, s.row0, s.p * kNr, s.first, s.last,
                                    next);
            else
                gemm_block<R, false>(s.kc, at, panel, b.ldb, cols, ct, ldc, ep, s.row0, s.p * kNr, s.first, s.last,
                                     next);
        });
    });
}

// ---- convolution over NHWC activations ----

// What padding taps read: a tap's run of channels within one k block is at most kKc long.
alignas(64) constexpr float kZeroRun[kKc] = {};

// One R x kNr block of a ConvNhwc's C over the k block [kb, kb + kc): gemm_block with the A tile's
// R values per k broadcast from R input pixels, re-aimed at every tap the block crosses.
template <int R, bool Lead>
void conv_block(const ConvNhwc& cv, const ConvRowOrigin* origin, int64_t kb, int64_t kc, const float* b, int64_t ldb,
                int cols, float* c, int64_t ldc, const GemmEpilogue& ep, int64_t row0, int64_t col0, bool first,
                bool last, NextSlice next) {
    V acc0[R];
    V acc1[R];
    start_block<R>(acc0, acc1, cols, c, ldc, ep, row0, col0, first, last);
    SpreadPrefetch spread(next, kc);
    // The block's first tap and channel, then stepped along (no division per run of channels).
    const int64_t tap = kb / cv.in_c;
    int64_t c0 = kb - tap * cv.in_c;
    int64_t kh = tap / cv.kernel_w;
    int64_t kw = tap - kh * cv.kernel_w;
    for (int64_t kk = 0; kk < kc;) {
        const int64_t run = std::min(cv.in_c - c0, kc - kk);
        const int64_t tap_offset = (kh * cv.in_w + kw) * cv.in_c + c0;
        const float* a[R];
        for (int i = 0; i < R; ++i) {
            const bool inside = static_cast<uint64_t>(origin[i].ih + kh) < static_cast<uint64_t>(cv.in_h) &&
                                static_cast<uint64_t>(origin[i].iw + kw) < static_cast<uint64_t>(cv.in_w);
            a[i] = inside ? cv.x + (origin[i].offset + tap_offset) : kZeroRun;
        }
        const float* bk = b + kk * ldb;
        for (int64_t j = 0; j < run; ++j, bk += ldb) {
            if constexpr (Lead) {
                const char* ahead = reinterpret_cast<const char*>(bk + kPrefetchRows * ldb);
                __builtin_prefetch(ahead, 0, 3);
                if constexpr (kNr * 4 > 64) __builtin_prefetch(ahead + 64, 0, 3);
            }
            spread.step();
            const V b0 = Vec::load(bk);
            const V b1 = Vec::load(bk + kW);
#pragma GCC unroll 16
            for (int i = 0; i < R; ++i) {
                const V av = Vec::set1(a[i][j]);
                acc0[i] = Vec::fmadd(av, b0, acc0[i]);
                acc1[i] = Vec::fmadd(av, b1, acc1[i]);
            }
        }
        kk += run;
        c0 += run;
        if (c0 == cv.in_c) {
            c0 = 0;
            if (++kw == cv.kernel_w) {
                kw = 0;
                ++kh;
            }
        }
    }
    finish_block<R>(acc0, acc1, cols, c, ldc, ep, row0, col0, first, last);
}

void conv_nhwc_f32(const ConvNhwc& cv, int64_t m0, int64_t m1, int64_t p0, int64_t p1, int64_t n, const GemmB& b,
                   float* c, int64_t ldc, const GemmEpilogue& ep) {
    const int64_t k = cv.kernel_h * cv.kernel_w * cv.in_c;
    // Rows one m block at a time, each through all its k blocks, so that its partial sums and its
    // input pixels stay in L2: a convolution's activations outweigh its weights, and the k-major
    // order over all rows (the Linear's) sent them through L3 at every k block, which another
    // tenant's traffic there slowed by up to 1.5x on a Zen 3.
    if (m1 - m0 > kMc) {
        for (int64_t r0 = m0; r0 < m1; r0 += kMc)
            conv_nhwc_f32(cv, r0, std::min(m1, r0 + kMc), p0, p1, n, b, c, ldc, ep);
        return;
    }
    blocked_loops(m0, m1, p0, p1, k, k * 4, false, [&](const BlockStep& s) {
        const float* panel = b.data + s.p * b.panel_stride + s.kb * b.ldb;
        const int cols = static_cast<int>(std::min<int64_t>(kNr, n - s.p * kNr));
        float* ct = c + s.row0 * ldc + s.p * kNr;
        const NextSlice next = next_slice(s, b.data, b.panel_stride * 4, b.ldb * 4);
        dispatch_rows(s.rows, [&]<int R>() {
            if (s.tile == 0)
                conv_block<R, true>(cv, cv.rows + s.row0, s.kb, s.kc, panel, b.ldb, cols, ct, ldc, ep, s.row0,
                                    s.p * kNr, s.first, s.last, next);
            else
                conv_block<R, false>(cv, cv.rows + s.row0, s.kb, s.kc, panel, b.ldb, cols, ct, ldc, ep, s.row0,
                                     s.p * kNr, s.first, s.last, next);
        });
    });
}

// ---- Winograd F(m x m, 3x3) transforms, vectorised over channels ----

// B^T applied to a column of N = m + 2 vectors at stride `step` of d, in place.
template <int N>
inline void winograd_bt(V* d, int step) {
    const V d0 = d[0], d1 = d[step], d2 = d[2 * step], d3 = d[3 * step];
    if constexpr (N == 4) {  // F(2x2, 3x3): (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
        d[0] = Vec::sub(d0, d2);
        d[step] = Vec::add(d1, d2);
        d[2 * step] = Vec::sub(d2, d1);
        d[3 * step] = Vec::sub(d1, d3);
    } else {  // F(4x4, 3x3), Lavin and Gray's points 0, +-1, +-2
        static_assert(N == 6);
        const V d4 = d[4 * step], d5 = d[5 * step];
        const V four = Vec::set1(4.0f), five = Vec::set1(-5.0f), two = Vec::set1(2.0f);
        const V a = Vec::fmadd(Vec::set1(-4.0f), d2, d4);  // d4 - 4 d2
        const V b = Vec::fmadd(Vec::set1(-4.0f), d1, d3);  // d3 - 4 d1
        const V c = Vec::sub(d4, d2);
        const V e = Vec::mul(two, Vec::sub(d3, d1));
        d[0] = Vec::add(Vec::fmadd(four, d0, Vec::mul(five, d2)), d4);
        d[step] = Vec::add(a, b);
        d[2 * step] = Vec::sub(a, b);
        d[3 * step] = Vec::add(c, e);
        d[4 * step] = Vec::sub(c, e);
        d[5 * step] = Vec::add(Vec::fmadd(four, d1, Vec::mul(five, d3)), d5);
    }
}

template <int M>
void winograd_input_tiles(const WinogradTiles& wt, int64_t t0, int64_t t1, float* v, int64_t ldv) {
    constexpr int N = M + 2;
    const int64_t tiles_w = wt.tiles_w(), per_image = wt.tiles_h() * tiles_w;
    for (int64_t t = t0; t < t1; ++t) {
        const int64_t img = t / per_image;
        const int64_t ih0 = t % per_image / tiles_w * M - 1;
        const int64_t iw0 = t % tiles_w * M - 1;
        const float* window[N * N];  // null: padding
        for (int r = 0; r < N; ++r) {
            for (int q = 0; q < N; ++q) {
                const int64_t ih = ih0 + r, iw = iw0 + q;
                const bool inside = ih >= 0 && ih < wt.h && iw >= 0 && iw < wt.w;
                window[N * r + q] = inside ? wt.x + ((img * wt.h + ih) * wt.w + iw) * wt.in_c : nullptr;
            }
        }
        float* out = v + (t - t0) * wt.in_c;
        for (int64_t c = 0; c < wt.in_c; c += kW) {
            const int n = static_cast<int>(std::min<int64_t>(kW, wt.in_c - c));
            V d[N * N];
            for (int i = 0; i < N * N; ++i)
                d[i] = window[i] == nullptr ? Vec::zero()
                                            : (n == kW ? Vec::load(window[i] + c) : Vec::load_n(window[i] + c, n));
            for (int q = 0; q < N; ++q) winograd_bt<N>(d + q, N);      // columns: B^T d
            for (int r = 0; r < N; ++r) winograd_bt<N>(d + N * r, 1);  // rows: (B^T d) B
            for (int i = 0; i < N * N; ++i) {
                if (n == kW)
                    Vec::store(out + i * ldv + c, d[i]);
                else
                    Vec::store_n(out + i * ldv + c, d[i], n);
            }
        }
    }
}

void winograd_input_f32(const WinogradTiles& wt, int64_t t0, int64_t t1, float* v, int64_t ldv) {
    if (wt.m == 4) return winograd_input_tiles<4>(wt, t0, t1, v, ldv);
    winograd_input_tiles<2>(wt, t0, t1, v, ldv);
}

// A^T applied to N = m + 2 vectors at stride `step` of s, into M vectors of out.
template <int M>
inline void winograd_at(const V* s, int step, V* out) {
    const V m0 = s[0], m1 = s[step], m2 = s[2 * step], m3 = s[3 * step];
    if constexpr (M == 2) {  // (m0 + m1 + m2, m1 - m2 - m3)
        out[0] = Vec::add(Vec::add(m0, m1), m2);
        out[1] = Vec::sub(Vec::sub(m1, m2), m3);
    } else {
        static_assert(M == 4);
        const V m4 = s[4 * step], m5 = s[5 * step];
        const V a = Vec::add(m1, m2), b = Vec::sub(m1, m2), c = Vec::add(m3, m4), e = Vec::sub(m3, m4);
        out[0] = Vec::add(Vec::add(m0, a), c);
        out[1] = Vec::fmadd(Vec::set1(2.0f), e, b);
        out[2] = Vec::fmadd(Vec::set1(4.0f), c, a);
        out[3] = Vec::add(Vec::fmadd(Vec::set1(8.0f), e, b), m5);
    }
}

template <Activation A, int M>
void winograd_output_tiles(const WinogradTiles& wt, int64_t t0, int64_t t1, const float* m, int64_t ldm, float* y,
                           const GemmEpilogue& ep) {
    constexpr int N = M + 2;
    const int64_t tiles_w = wt.tiles_w(), per_image = wt.tiles_h() * tiles_w;
    for (int64_t t = t0; t < t1; ++t) {
        const int64_t img = t / per_image;
        const int64_t oh0 = t % per_image / tiles_w * M;
        const int64_t ow0 = t % tiles_w * M;
        const int rows = static_cast<int>(std::min<int64_t>(M, wt.h - oh0));
        const int cols = static_cast<int>(std::min<int64_t>(M, wt.w - ow0));
        const float* in = m + (t - t0) * wt.out_c;
        for (int64_t o = 0; o < wt.out_c; o += kW) {
            const int n = static_cast<int>(std::min<int64_t>(kW, wt.out_c - o));
            V p[N * N];
            for (int i = 0; i < N * N; ++i) p[i] = Vec::load_n(in + i * ldm + o, n);
            V s[M * N];  // A^T P: M x N
            for (int q = 0; q < N; ++q) {
                V col[M];
                winograd_at<M>(p + q, N, col);
                for (int r = 0; r < M; ++r) s[N * r + q] = col[r];
            }
            const V bias = ep.bias != nullptr ? Vec::load_n(ep.bias + o, n) : Vec::zero();
            for (int r = 0; r < rows; ++r) {
                V out[M];
                winograd_at<M>(s + N * r, 1, out);
                for (int q = 0; q < cols; ++q) {
                    const int64_t pixel = (img * wt.h + oh0 + r) * wt.w + ow0 + q;
                    V val = Vec::add(out[q], bias);
                    if (ep.residual != nullptr) val = Vec::add(val, Vec::load_n(ep.residual + pixel * ep.ldr + o, n));
                    Vec::store_n(y + pixel * wt.out_c + o, activate<A>(val), n);
                }
            }
        }
    }
}

void winograd_output_f32(const WinogradTiles& wt, int64_t t0, int64_t t1, const float* m, int64_t ldm, float* y,
                         const GemmEpilogue& ep) {
    with_activation(ep.act, [&]<Activation A>() {
        if (wt.m == 4) return winograd_output_tiles<A, 4>(wt, t0, t1, m, ldm, y, ep);
        winograd_output_tiles<A, 2>(wt, t0, t1, m, ldm, y, ep);
    });
}

void pack_a_rows(const float* a, int64_t lda, int64_t rows, int64_t k, int64_t r0, int64_t r1, float* out) {
    pack_a(a, lda, r0, std::min(r1, rows) - r0, k, out + r0 * k);
}

void gemm_bf16_packed_a(int64_t m0, int64_t m1, int64_t p0, int64_t p1, int64_t n, int64_t k, const void* ap,
                        const GemmBf16B& b, float* c, int64_t ldc, const GemmEpilogue& ep) {
    // Bytes per k of a panel: a row of bf16 values, or half a row of pairs.
    const int64_t row_bytes = b.pairs ? b.ldb : 2 * b.ldb;
    blocked_loops(m0, m1, p0, p1, k, b.pairs ? (k + 1) / 2 * 4 : k * 4, false, [&](const BlockStep& s) {
        const int cols = static_cast<int>(std::min<int64_t>(kNr, n - s.p * kNr));
        float* ct = c + s.row0 * ldc + s.p * kNr;
        const NextSlice next = next_slice(s, b.data, b.panel_stride * 2, row_bytes);
#if defined(CLIPRT_FAST_AVX512)
        if (b.pairs) {
            const int64_t kpairs = (k + 1) / 2;
            const uint16_t* panel = b.data + s.p * b.panel_stride + s.kb / 2 * b.ldb;
            const uint32_t* at = static_cast<const uint32_t*>(ap) + s.row0 * kpairs + s.kb / 2 * kMr;
            dispatch_rows(s.rows, [&]<int R>() {
                block_bf16_pairs<R>((s.kc + 1) / 2, at, panel, b.ldb, cols, ct, ldc, ep, s.row0, s.p * kNr, s.first,
                                    s.last, next);
            });
            return;
        }
#endif
        // The block's first tile widens the panel slice to f32 once for all its tiles: widening
        // in the inner loop took two of every sixteen FMA-port slots.
        struct alignas(64) Slice {
            float v[kKc * kNr];
        };
        thread_local Slice slice;
        if (s.tile == 0) {
            const uint16_t* panel = b.data + s.p * b.panel_stride + s.kb * b.ldb;
            for (int64_t kk = 0; kk < s.kc; ++kk) {
                for (int j = 0; j < kNr; j += kW)
                    Vec::store(slice.v + kk * kNr + j, load_bf16_vec(panel + kk * b.ldb + j));
            }
        }
        const float* at = static_cast<const float*>(ap) + s.row0 * k + s.kb * kMr;
        dispatch_rows(s.rows, [&]<int R>() {
            gemm_block<R, false>(s.kc, at, slice.v, kNr, cols, ct, ldc, ep, s.row0, s.p * kNr, s.first, s.last, next);
        });
    });
}

void pack_a_bf16_rows(const float* a, int64_t lda, int64_t rows, int64_t k, int64_t r0, int64_t r1, bool pairs,
                      void* out) {
#if defined(CLIPRT_FAST_AVX512)
    if (pairs) {
        pack_a_pairs(a, lda, r0, std::min(r1, rows) - r0, k, static_cast<uint32_t*>(out) + r0 * ((k + 1) / 2));
        return;
    }
#endif
    (void)pairs;
    pack_a(a, lda, r0, std::min(r1, rows) - r0, k, static_cast<float*>(out) + r0 * k);
}

// ---- row-wise ops ----

// Sum of x[0:n] with kW-wide partial sums (tail masked).
inline float row_sum(const float* x, int64_t n) {
    V s0 = Vec::zero();
    V s1 = Vec::zero();
    int64_t j = 0;
    for (; j + 2 * kW <= n; j += 2 * kW) {
        s0 = Vec::add(s0, Vec::load(x + j));
        s1 = Vec::add(s1, Vec::load(x + j + kW));
    }
    for (; j + kW <= n; j += kW) s0 = Vec::add(s0, Vec::load(x + j));
    if (j < n) s1 = Vec::add(s1, Vec::load_n(x + j, static_cast<int>(n - j)));
    return Vec::reduce_add(Vec::add(s0, s1));
}

void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t width,
                float eps) {
    const float inv_width = 1.0f / static_cast<float>(width);
    for (int64_t r = 0; r < rows; ++r) {
        const float* in = x + r * width;
        float* out = y + r * width;
        const float mean_value = row_sum(in, width) * inv_width;
        const V mean = Vec::set1(mean_value);
        // Two passes as torch: the mean, then the mean squared deviation (biased).
        V sq = Vec::zero();
        int64_t j = 0;
        for (; j + kW <= width; j += kW) {
            const V d = Vec::sub(Vec::load(in + j), mean);
            sq = Vec::fmadd(d, d, sq);
        }
        float tail = 0.0f;
        for (; j < width; ++j) tail += (in[j] - mean_value) * (in[j] - mean_value);
        const float var = (Vec::reduce_add(sq) + tail) * inv_width;
        const V inv_std = Vec::set1(1.0f / std::sqrt(var + eps));
        j = 0;
        for (; j + kW <= width; j += kW) {
            const V d = Vec::mul(Vec::sub(Vec::load(in + j), mean), inv_std);
            Vec::store(out + j, Vec::fmadd(d, Vec::load(gamma + j), Vec::load(beta + j)));
        }
        if (j < width) {
            const int rest = static_cast<int>(width - j);
            const V d = Vec::mul(Vec::sub(Vec::load_n(in + j, rest), mean), inv_std);
            Vec::store_n(out + j, Vec::fmadd(d, Vec::load_n(gamma + j, rest), Vec::load_n(beta + j, rest)), rest);
        }
    }
}

void softmax(const float* x, float* y, int64_t rows, int64_t width, float scale) {
    const V vs = Vec::set1(scale);
    for (int64_t r = 0; r < rows; ++r) {
        const float* in = x + r * width;
        float* out = y + r * width;
        V mx = Vec::set1(-INFINITY);
        int64_t j = 0;
        for (; j + kW <= width; j += kW) mx = Vec::max(mx, Vec::mul(vs, Vec::load(in + j)));
        float max_value = Vec::reduce_max(mx);
        for (; j < width; ++j) max_value = std::max(max_value, scale * in[j]);
        const V m = Vec::set1(max_value);
        V total = Vec::zero();
        j = 0;
        for (; j + kW <= width; j += kW) {
            const V e = vexp(Vec::fmadd(vs, Vec::load(in + j), Vec::sub(Vec::zero(), m)));
            Vec::store(out + j, e);
            total = Vec::add(total, e);
        }
        if (j < width) {
            const int rest = static_cast<int>(width - j);
            const V e = vexp(Vec::fmadd(vs, Vec::load_n(in + j, rest), Vec::sub(Vec::zero(), m)));
            Vec::store_n(out + j, e, rest);
            total = Vec::add(total, Vec::load_n(out + j, rest));  // the masked lanes of e are not zero
        }
        const float inv_total = 1.0f / Vec::reduce_add(total);
        const V inv = Vec::set1(inv_total);
        j = 0;
        for (; j + kW <= width; j += kW) Vec::store(out + j, Vec::mul(Vec::load(out + j), inv));
        for (; j < width; ++j) out[j] *= inv_total;
    }
}

void l2_normalize(const float* x, float* y, int64_t rows, int64_t width) {
    for (int64_t r = 0; r < rows; ++r) {
        const float* in = x + r * width;
        float* out = y + r * width;
        V sq = Vec::zero();
        int64_t j = 0;
        for (; j + kW <= width; j += kW) {
            const V v = Vec::load(in + j);
            sq = Vec::fmadd(v, v, sq);
        }
        if (j < width) {
            const V v = Vec::load_n(in + j, static_cast<int>(width - j));
            sq = Vec::fmadd(v, v, sq);
        }
        const float norm = std::max(std::sqrt(Vec::reduce_add(sq)), 1e-12f);
        const V inv = Vec::set1(1.0f / norm);
        j = 0;
        for (; j + kW <= width; j += kW) Vec::store(out + j, Vec::mul(Vec::load(in + j), inv));
        if (j < width) {
            const int rest = static_cast<int>(width - j);
            Vec::store_n(out + j, Vec::mul(Vec::load_n(in + j, rest), inv), rest);
        }
    }
}

void unary(const float* x, float* y, int64_t n, Activation act, float alpha, float beta) {
    const V va = Vec::set1(alpha);
    const V vb = Vec::set1(beta);
    with_activation(act, [&]<Activation A>() {
        int64_t i = 0;
        for (; i + kW <= n; i += kW) Vec::store(y + i, Vec::fmadd(va, activate<A>(Vec::load(x + i)), vb));
        if (i < n) {
            const int rest = static_cast<int>(n - i);
            Vec::store_n(y + i, Vec::fmadd(va, activate<A>(Vec::load_n(x + i, rest)), vb), rest);
        }
    });
}

template <typename Op>
inline void binary_loop(const float* a, const float* b, float* y, int64_t n, Op op) {
    int64_t i = 0;
    for (; i + kW <= n; i += kW) Vec::store(y + i, op(Vec::load(a + i), Vec::load(b + i)));
    if (i < n) {
        const int rest = static_cast<int>(n - i);
        Vec::store_n(y + i, op(Vec::load_n(a + i, rest), Vec::load_n(b + i, rest)), rest);
    }
}

void binary(BinaryOp op, const float* a, const float* b, float* y, int64_t n) {
    if (op == BinaryOp::Add)
        binary_loop(a, b, y, n, [](V p, V q) { return Vec::add(p, q); });
    else
        binary_loop(a, b, y, n, [](V p, V q) { return Vec::mul(p, q); });
}

void binary_scalar(BinaryOp op, const float* a, float b, float* y, int64_t n) {
    const V vb = Vec::set1(b);
    int64_t i = 0;
    const bool add = op == BinaryOp::Add;
    for (; i + kW <= n; i += kW) {
        const V v = Vec::load(a + i);
        Vec::store(y + i, add ? Vec::add(v, vb) : Vec::mul(v, vb));
    }
    if (i < n) {
        const int rest = static_cast<int>(n - i);
        const V v = Vec::load_n(a + i, rest);
        Vec::store_n(y + i, add ? Vec::add(v, vb) : Vec::mul(v, vb), rest);
    }
}

inline Kernels make_kernels(Isa isa) {
    Kernels k;
    k.isa = isa;
    k.gemm_mr = kMr;
    k.gemm_nr = kNr;
    k.gemm_packed_a = gemm_f32_packed_a;
    k.pack_a = pack_a_rows;
    k.conv_nhwc = conv_nhwc_f32;
    k.winograd_input = winograd_input_f32;
    k.winograd_output = winograd_output_f32;
    k.gemm_bf16_packed_a = gemm_bf16_packed_a;
    k.pack_a_bf16 = pack_a_bf16_rows;
    k.layer_norm = layer_norm;
    k.softmax = softmax;
    k.l2_normalize = l2_normalize;
    k.unary = unary;
    k.binary = binary;
    k.binary_scalar = binary_scalar;
    return k;
}

}  // namespace
}  // namespace cliprt::cpu_fast
