// SIMD vectors of f32 for the fast CPU kernels, one struct per instruction set with the same static
// functions, so every kernel is written once (cpu_fast_kernels_impl.h) and compiled per ISA. Each
// ISA's struct is only defined in the translation unit compiled with its target flags.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(CLIPRT_FAST_AVX512) || defined(CLIPRT_FAST_AVX2)
#include <immintrin.h>
#endif

namespace cliprt::cpu_fast {
// Unnamed: each ISA's translation unit has its own Vec, which must never be merged across them.
namespace {

#if defined(CLIPRT_FAST_AVX512)

struct Vec {
    static constexpr int kWidth = 16;
    static constexpr int kGemmMr = 14;  // 14 x 32 block: 28 zmm accumulators + 2 for B + 1 broadcast
    using V = __m512;
    static V zero() { return _mm512_setzero_ps(); }
    static V set1(float x) { return _mm512_set1_ps(x); }
    static V load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
    static __mmask16 mask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
    static V load_n(const float* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
    static void store_n(float* p, V v, int n) { _mm512_mask_storeu_ps(p, mask(n), v); }
    static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
    static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    // a / b from the 14-bit reciprocal and one Newton step (~1 ulp): vdivps has a throughput of one
    // per 16 cycles, which made the GELU epilogue cost a third of a GEMM.
    static V fast_div(V a, V b) {
        const V r = _mm512_rcp14_ps(b);
        return _mm512_mul_ps(a, _mm512_mul_ps(r, _mm512_fnmadd_ps(b, r, _mm512_set1_ps(2.0f))));
    }
    static V max(V a, V b) { return _mm512_max_ps(a, b); }
    static V min(V a, V b) { return _mm512_min_ps(a, b); }
    static V abs(V a) { return _mm512_abs_ps(a); }
    static V round(V a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
    // 2^n for integral n in [-126, 127].
    static V pow2i(V n) {
        const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
        return _mm512_castsi512_ps(bits);
    }
    static V copysign(V magnitude, V sign) {
        const __m512i sign_bit = _mm512_set1_epi32(static_cast<int>(0x80000000u));
        return _mm512_castsi512_ps(_mm512_or_si512(_mm512_andnot_si512(sign_bit, _mm512_castps_si512(magnitude)),
                                                   _mm512_and_si512(sign_bit, _mm512_castps_si512(sign))));
    }
    static float reduce_add(V v) { return _mm512_reduce_add_ps(v); }
    static float reduce_max(V v) { return _mm512_reduce_max_ps(v); }
};

#elif defined(CLIPRT_FAST_AVX2)

struct Vec {
    static constexpr int kWidth = 8;
    static constexpr int kGemmMr = 6;  // 6 x 16 block: 12 ymm accumulators + 2 for B + 1 broadcast
    using V = __m256;
    static V zero() { return _mm256_setzero_ps(); }
    static V set1(float x) { return _mm256_set1_ps(x); }
    static V load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
    static __m256i mask(int n) {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    static V load_n(const float* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
    static void store_n(float* p, V v, int n) { _mm256_maskstore_ps(p, mask(n), v); }
    static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm256_add_ps(a, b); }
    static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    // a / b from the 12-bit reciprocal and one Newton step (~2 ulp).
    static V fast_div(V a, V b) {
        const V r = _mm256_rcp_ps(b);
        return _mm256_mul_ps(a, _mm256_mul_ps(r, _mm256_fnmadd_ps(b, r, _mm256_set1_ps(2.0f))));
    }
    static V max(V a, V b) { return _mm256_max_ps(a, b); }
    static V min(V a, V b) { return _mm256_min_ps(a, b); }
    static V abs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
    static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
    static V pow2i(V n) {
        const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
        return _mm256_castsi256_ps(bits);
    }
    static V copysign(V magnitude, V sign) {
        const V sign_bit = _mm256_set1_ps(-0.0f);
        return _mm256_or_ps(_mm256_andnot_ps(sign_bit, magnitude), _mm256_and_ps(sign_bit, sign));
    }
    static float reduce_add(V v) {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }
    static float reduce_max(V v) {
        __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        s = _mm_max_ps(s, _mm_movehl_ps(s, s));
        s = _mm_max_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }
};

#else  // portable: plain C++ over small arrays, left to the compiler's auto-vectorizer

struct Vec {
    static constexpr int kWidth = 4;
    static constexpr int kGemmMr = 4;
    struct V {
        float v[kWidth];
    };
    template <typename F>
    static V map(F f) {
        V r;
        for (int i = 0; i < kWidth; ++i) r.v[i] = f(i);
        return r;
    }
    static V zero() {
        return map([](int) { return 0.0f; });
    }
    static V set1(float x) {
        return map([x](int) { return x; });
    }
    static V load(const float* p) {
        return map([p](int i) { return p[i]; });
    }
    static void store(float* p, V v) { std::memcpy(p, v.v, sizeof(v.v)); }
    static V load_n(const float* p, int n) {
        return map([p, n](int i) { return i < n ? p[i] : 0.0f; });
    }
    static void store_n(float* p, V v, int n) {
        for (int i = 0; i < n; ++i) p[i] = v.v[i];
    }
    // Written as a * b + c: this file is compiled with -ffp-contract=off, so there is no fusing here.
    static V fmadd(V a, V b, V c) {
        return map([&](int i) { return a.v[i] * b.v[i] + c.v[i]; });
    }
    static V add(V a, V b) {
        return map([&](int i) { return a.v[i] + b.v[i]; });
    }
    static V sub(V a, V b) {
        return map([&](int i) { return a.v[i] - b.v[i]; });
    }
    static V mul(V a, V b) {
        return map([&](int i) { return a.v[i] * b.v[i]; });
    }
    static V fast_div(V a, V b) {
        return map([&](int i) { return a.v[i] / b.v[i]; });
    }  // exact here
    static V max(V a, V b) {
        return map([&](int i) { return a.v[i] > b.v[i] ? a.v[i] : b.v[i]; });
    }
    static V min(V a, V b) {
        return map([&](int i) { return a.v[i] < b.v[i] ? a.v[i] : b.v[i]; });
    }
    static V abs(V a) {
        return map([&](int i) { return a.v[i] < 0.0f ? -a.v[i] : a.v[i]; });
    }
    static V round(V a) {
        return map([&](int i) { return __builtin_nearbyintf(a.v[i]); });
    }
    static V pow2i(V n) {
        return map([&](int i) {
            const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n.v[i]) + 127) << 23;
            float f;
            std::memcpy(&f, &bits, sizeof(f));
            return f;
        });
    }
    static V copysign(V magnitude, V sign) {
        return map([&](int i) { return __builtin_copysignf(magnitude.v[i], sign.v[i]); });
    }
    static float reduce_add(V v) {
        float s = 0.0f;
        for (float x : v.v) s += x;
        return s;
    }
    static float reduce_max(V v) {
        float m = v.v[0];
        for (float x : v.v) m = x > m ? x : m;
        return m;
    }
};

#endif

}  // namespace
}  // namespace cliprt::cpu_fast
