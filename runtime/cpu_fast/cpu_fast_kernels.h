// The fast CPU kernels, one table per instruction set (portable C++, AVX2+FMA, AVX-512), chosen at
// run time from what the processor has. Every kernel here is single-threaded over the range it is
// given; the recorders (cpu_fast_*.cpp) split the work over the thread pool.
//
// The bodies are written once (cpu_fast_kernels_impl.h) over the vector type of cpu_fast_vec.h and
// compiled three times with different target flags.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "cliprt/graph.h"

namespace cliprt::cpu_fast {

enum class Isa : uint8_t { Portable, Avx2, Avx512 };
const char* isa_name(Isa isa);

// What the processor runs, best first. `CLIPRT_CPU_ISA=portable|avx2|avx512` caps it (for tests
// and for comparing paths); asking for more than the processor has is an error.
Isa detected_isa();
bool cpu_has_avx512_bf16();
// Whether AMX bf16 tiles can be used: the processor has AMX-TILE and AMX-BF16 and the OS granted
// this process the tile state (Linux arch_prctl). `CLIPRT_CPU_AMX=0` turns it off.
bool amx_usable();
// How bf16 weights are multiplied: on AMX tiles, by AVX512_BF16 dot products (activations rounded
// to bf16 too), or widened to f32 a panel slice at a time and multiplied by the f32 kernels.
enum class Bf16Path : uint8_t { Amx, DotProducts, Widened };
// AMX where usable; otherwise widened, which measured 1.24-1.37x the dot products on a Xeon with
// AVX512_BF16 but no AMX (one dot product per cycle there). `CLIPRT_CPU_BF16_DOT=1` picks the
// dot products instead where the processor has them.
Bf16Path default_bf16_path();

// Bytes of one core's L2 cache, which sizes the GEMM's and the convolutions' blocks (512 KiB on a
// Zen 3, 2 MiB on a Sapphire Rapids): sysconf where the OS tells it, else 1 MiB.
int64_t l2_cache_bytes();
// The epilogue of Linear and Conv2d, applied to each C tile while it is still in registers:
// c = act(c + bias + residual), bias per column (Linear) or per row (Conv2d's output channels).
struct GemmEpilogue {
    const float* bias = nullptr;
    bool bias_per_row = false;
    const float* residual = nullptr;  // same layout as C: row stride ldr
    int64_t ldr = 0;
    Activation act = Activation::None;
};

// B in column panels of gemm_nr columns: panel p (columns [p * nr, p * nr + nr)) starts at
// data + p * panel_stride and its row k at + k * ldb. Columns past n in the last panel must be
// readable (zero padding); they are never stored.
struct GemmB {
    const float* data = nullptr;
    int64_t panel_stride = 0;
    int64_t ldb = 0;
    // The panels are already in cache (a convolution's gathered patches) and A is the operand that
    // streams: k blocks run outermost, so each k slice of A serves every panel from L2.
    bool panels_cached = false;
};

// bf16 weights (raw bits). With `pairs`, panel row kp holds, for each column j, the two values of
// k = 2 kp and 2 kp + 1 side by side (the AVX512_BF16 dot-product layout); otherwise row k holds
// one value per column (widened to f32 a panel slice at a time).
struct GemmBf16B {
    const uint16_t* data = nullptr;
    int64_t panel_stride = 0;  // in uint16 elements
    int64_t ldb = 0;           // per row (per k pair with `pairs`), in uint16 elements
    bool pairs = false;
};

// A convolution as an implicit GEMM over NHWC activations: row r of C is output pixel r of the
// batch, whose patch row (k in (kh, kw, c) order) is read straight from x, one run of channels per
// tap, with no patch matrix in between; taps in the zero padding read zeros. B holds the weights,
// packed like a Linear's over the same k order.
struct ConvRowOrigin {
    int64_t offset;  // of the row's window's top-left input pixel in x (in padding: only for arithmetic)
    int32_t ih, iw;  // that pixel's place in its image (negative in the padding)
};
struct ConvNhwc {
    const float* x = nullptr;  // [batch, in_h, in_w, in_c]
    int64_t in_h = 0, in_w = 0, in_c = 0;
    int64_t kernel_h = 1, kernel_w = 1;
    const ConvRowOrigin* rows = nullptr;  // one per row of C
};

// A 3x3 convolution of stride 1 and padding 1 over NHWC activations by Winograd's F(m x m, 3x3),
// m = 2 or 4 (cpu_fast_winograd.h): the output in m x m tiles, tile t = (img * tiles_h + ty) *
// tiles_w + tx covering output rows [m ty, m ty + m) and columns [m tx, m tx + m) (cut at the
// image's edge), read from the (m + 2) x (m + 2) input window whose top-left pixel is (m ty - 1,
// m tx - 1). Each tile has points() = (m + 2)^2 transformed values per channel.
struct WinogradTiles {
    const float* x = nullptr;  // [batch, h, w, in_c]; the output is [batch, h, w, out_c]
    int64_t batch = 0, h = 0, w = 0, in_c = 0, out_c = 0;
    int m = 2;
    int64_t tiles_h() const { return (h + m - 1) / m; }
    int64_t tiles_w() const { return (w + m - 1) / m; }
    int64_t tiles() const { return batch * tiles_h() * tiles_w(); }
    int points() const { return (m + 2) * (m + 2); }
};

struct Kernels {
    Isa isa = Isa::Portable;
    int gemm_mr = 1;  // rows of C per register block
    int gemm_nr = 1;  // columns of C per register block (= per B panel)

    // C[m0:m1, panels p0:p1] = epilogue(A @ B) over rows [m0, m1) and panels [p0, p1), A packed by
    // pack_a (rows of the whole matrix; m0 a multiple of gemm_mr); n is the total column count (the
    // last panel may be partial), C rows have stride ldc.
    void (*gemm_packed_a)(int64_t m0, int64_t m1, int64_t p0, int64_t p1, int64_t n, int64_t k, const float* a_packed,
                          const GemmB& b, float* c, int64_t ldc, const GemmEpilogue& ep) = nullptr;
    // C[m0:m1, panels p0:p1] = epilogue(patches @ B) for the convolution `conv` (see ConvNhwc),
    // k = kernel_h * kernel_w * in_c; m0 a multiple of gemm_mr.
    void (*conv_nhwc)(const ConvNhwc& conv, int64_t m0, int64_t m1, int64_t p0, int64_t p1, int64_t n, const GemmB& b,
                      float* c, int64_t ldc, const GemmEpilogue& ep) = nullptr;
    // Winograd's input transform of tiles [t0, t1): v[xi * ldv + (t - t0) * in_c + c] = (B^T d B)[xi]
    // for the tile's window d of channel c (zeros outside the image), xi < points() (row-major).
    void (*winograd_input)(const WinogradTiles& wt, int64_t t0, int64_t t1, float* v, int64_t ldv) = nullptr;
    // Its output transform: y [batch, h, w, out_c] = epilogue(A^T M A) over tiles [t0, t1), with
    // M[xi] at m + xi * ldm + (t - t0) * out_c + o (bias per channel; residual as y, ldr = out_c).
    void (*winograd_output)(const WinogradTiles& wt, int64_t t0, int64_t t1, const float* m, int64_t ldm, float* y,
                            const GemmEpilogue& ep) = nullptr;
    // Rows [r0, r1) of A [rows, k] (row stride lda; r0 a multiple of gemm_mr) into gemm_mr-row
    // tiles, k-major, zero padded past `rows`: the whole matrix takes packed_a_floats(rows, k) floats,
    // tile t at out + t * gemm_mr * k.
    void (*pack_a)(const float* a, int64_t lda, int64_t rows, int64_t k, int64_t r0, int64_t r1, float* out) = nullptr;
    int64_t packed_a_floats(int64_t rows, int64_t k) const { return (rows + gemm_mr - 1) / gemm_mr * gemm_mr * k; }
    // The same with bf16 weights, A packed by pack_a_bf16: as bf16 pairs (one 32-bit word per row
    // and k pair, rounded: the AVX512_BF16 dot products) when b.pairs, else as pack_a's f32 tiles.
    void (*gemm_bf16_packed_a)(int64_t m0, int64_t m1, int64_t p0, int64_t p1, int64_t n, int64_t k,
                               const void* a_packed, const GemmBf16B& b, float* c, int64_t ldc,
                               const GemmEpilogue& ep) = nullptr;
    void (*pack_a_bf16)(const float* a, int64_t lda, int64_t rows, int64_t k, int64_t r0, int64_t r1, bool pairs,
                        void* out) = nullptr;
    // Bytes of pack_a_bf16's output for the whole matrix.
    int64_t packed_a_bf16_bytes(int64_t rows, int64_t k, bool pairs) const {
        const int64_t padded = (rows + gemm_mr - 1) / gemm_mr * gemm_mr;
        return pairs ? padded * ((k + 1) / 2) * 4 : padded * k * 4;
    }

    // bf16 GEMM on AMX tiles (AVX-512 table only; call only when amx_usable()): B as the bf16
    // pair panels, A packed by pack_a_amx as bf16 rows padded to amx_k columns and amx_rows rows.
    // m0 is a multiple of amx_rows. Null in tables without it.
    void (*gemm_bf16_amx)(int64_t m0, int64_t m1, int64_t p0, int64_t p1, int64_t n, int64_t k, const uint16_t* a,
                          const GemmBf16B& b, float* c, int64_t ldc, const GemmEpilogue& ep) = nullptr;
    void (*pack_a_amx)(const float* a, int64_t lda, int64_t rows, int64_t k, int64_t r0, int64_t r1,
                       uint16_t* out) = nullptr;
    // A f32 B panel (gemm_nr columns, k rows) as the bf16 pair panel gemm_bf16_amx reads.
    void (*pack_b_pairs_amx)(const float* panel, int64_t k, uint16_t* out) = nullptr;
    int64_t amx_b_pairs_values(int64_t k) const { return ((k + 1) / 2 + 15) / 16 * 16 * 2 * gemm_nr; }
    int amx_rows = 16;
    int amx_k = 32;
    // bf16 values of pack_a_amx's output for the whole matrix.
    int64_t packed_a_amx_values(int64_t rows, int64_t k) const {
        return (rows + amx_rows - 1) / amx_rows * amx_rows * ((k + amx_k - 1) / amx_k * amx_k);
    }

    // Row-wise ops over the last dimension, rows [0, rows) of the pointers given.
    void (*layer_norm)(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t width,
                       float eps) = nullptr;
    // y = softmax(scale * x) per row.
    void (*softmax)(const float* x, float* y, int64_t rows, int64_t width, float scale) = nullptr;
    // y = x / max(|x|, 1e-12) per row (in place allowed).
    void (*l2_normalize)(const float* x, float* y, int64_t rows, int64_t width) = nullptr;
    // y = alpha * act(x) + beta over n elements (in place allowed).
    void (*unary)(const float* x, float* y, int64_t n, Activation act, float alpha, float beta) = nullptr;
    // y[i] = a[i] (op) b[i] over n elements.
    void (*binary)(BinaryOp op, const float* a, const float* b, float* y, int64_t n) = nullptr;
    // y = (op) x with one b value for all n elements.
    void (*binary_scalar)(BinaryOp op, const float* a, float b, float* y, int64_t n) = nullptr;
};

const Kernels& kernels_portable();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();
const Kernels& kernels_for(Isa isa);

}  // namespace cliprt::cpu_fast
