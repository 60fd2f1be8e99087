// The GEMM core shared by linear.comp and conv2d.comp: C[m, n] = sum_k A(m, k) * B(n, k).
//
// A workgroup of WG_N x WG_M invocations (local size x, y) owns a BM x BN tile of C; invocation
// (tx, ty) owns the TM x TN outputs at rows m0 + ty + i * WG_M and columns n0 + tx + j * WG_N
// (interleaved, so neighbouring invocations touch neighbouring addresses). Two ways to feed it:
//   MODE_SHARED:    k tiles of depth BK staged in shared memory (padded rows) between barriers: GPUs.
//   MODE_REGISTERS: each invocation reads its rows and columns straight from memory, four k at a
//                   time into vec4 accumulators (then a scalar tail when K % 4 != 0). With
//                   texel-buffer loads (inputs.glsl) this is the kernel for CPU devices such as
//                   lavapipe, where barriers are slow and a vec4 texel fetch costs about what one
//                   scalar storage-buffer load does.
//
// The includer defines, before including this file:
//   GEMM_LOAD_A(m, k)          A at an in-range (m, k)
//   GEMM_LOAD_B(n, k)          B at an in-range (n, k) (shared mode)
//   GEMM_B_SETUP(j, n)         per-invocation setup of column slot j holding column n
//   GEMM_LOAD_B_REG(j, n, k)   B for column slot j
//   GEMM_LOAD_A4(m, k)         A at (m, k..k+3), k a multiple of 4
//   GEMM_LOAD_B4(j, n, k)      B for column slot j at k..k+3
//   GEMM_STORE(m, n, value)    the epilogue for an in-range (m, n)
// MODE_REGISTERS and MODE_SHARED are in shader_interface.h.

layout(constant_id = 3) const uint TM = 4;
layout(constant_id = 4) const uint TN = 4;
layout(constant_id = 5) const uint MODE = MODE_REGISTERS;
layout(constant_id = 6) const uint BK = 16;

const bool USE_SHARED = MODE == MODE_SHARED;

const uint WG_N = gl_WorkGroupSize.x;
const uint WG_M = gl_WorkGroupSize.y;
const uint BM = WG_M * TM;
const uint BN = WG_N * TN;
// Rows padded by one element so the transposed stores of a tile do not hit one bank.
shared float tile_a[USE_SHARED ? BK * (BM + 1u) : 1u];
shared float tile_b[USE_SHARED ? BK * (BN + 1u) : 1u];

float acc[TM * TN];
vec4 acc4[USE_SHARED ? 1u : TM * TN];

void gemm(uint M, uint N, uint K) {
    uint tx = gl_LocalInvocationID.x;
    uint ty = gl_LocalInvocationID.y;
    uint m0 = gl_WorkGroupID.y * BM;
    uint n0 = gl_WorkGroupID.x * BN;
    [[unroll]] for (uint i = 0u; i < TM * TN; ++i) acc[i] = 0.0;
    float a[TM];
    float b[TN];

    if (USE_SHARED) {
        uint tid = ty * WG_N + tx;
        uint threads = WG_M * WG_N;
        for (uint k0 = 0u; k0 < K; k0 += BK) {
            // Consecutive invocations load consecutive k of a row: coalesced reads.
            for (uint e = tid; e < BM * BK; e += threads) {
                uint r = e / BK;
                uint kk = e - r * BK;
                uint m = m0 + r;
                uint k = k0 + kk;
                tile_a[kk * (BM + 1u) + r] = (m < M && k < K) ? GEMM_LOAD_A(m, k) : 0.0;
            }
            for (uint e = tid; e < BN * BK; e += threads) {
                uint c = e / BK;
                uint kk = e - c * BK;
                uint n = n0 + c;
                uint k = k0 + kk;
                tile_b[kk * (BN + 1u) + c] = (n < N && k < K) ? GEMM_LOAD_B(n, k) : 0.0;
            }
            barrier();
            for (uint kk = 0u; kk < BK; ++kk) {
                [[unroll]] for (uint i = 0u; i < TM; ++i) a[i] = tile_a[kk * (BM + 1u) + ty + i * WG_M];
                [[unroll]] for (uint j = 0u; j < TN; ++j) b[j] = tile_b[kk * (BN + 1u) + tx + j * WG_N];
                [[unroll]] for (uint i = 0u; i < TM; ++i) {
                    [[unroll]] for (uint j = 0u; j < TN; ++j) acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]);
                }
            }
            barrier();
        }
    } else {
        // Out-of-range rows and columns are clamped to the last one: loads stay in bounds without
        // branches, and their results are never stored.
        uint rows[TM];
        uint cols[TN];
        [[unroll]] for (uint i = 0u; i < TM; ++i) rows[i] = min(m0 + ty + i * WG_M, M - 1u);
        [[unroll]] for (uint j = 0u; j < TN; ++j) {
            cols[j] = min(n0 + tx + j * WG_N, N - 1u);
            GEMM_B_SETUP(j, cols[j]);
        }
        [[unroll]] for (uint i = 0u; i < TM * TN; ++i) acc4[i] = vec4(0.0);
        vec4 a4[TM];
        vec4 b4[TN];
        uint k = 0u;
        for (; k + 4u <= K; k += 4u) {
            [[unroll]] for (uint i = 0u; i < TM; ++i) a4[i] = GEMM_LOAD_A4(rows[i], k);
            [[unroll]] for (uint j = 0u; j < TN; ++j) b4[j] = GEMM_LOAD_B4(j, cols[j], k);
            [[unroll]] for (uint i = 0u; i < TM; ++i) {
                [[unroll]] for (uint j = 0u; j < TN; ++j) acc4[i * TN + j] = fma(a4[i], b4[j], acc4[i * TN + j]);
            }
        }
        [[unroll]] for (uint i = 0u; i < TM * TN; ++i) acc[i] = (acc4[i].x + acc4[i].y) + (acc4[i].z + acc4[i].w);
        for (; k < K; ++k) {
            [[unroll]] for (uint i = 0u; i < TM; ++i) a[i] = GEMM_LOAD_A(rows[i], k);
            [[unroll]] for (uint j = 0u; j < TN; ++j) b[j] = GEMM_LOAD_B_REG(j, cols[j], k);
            [[unroll]] for (uint i = 0u; i < TM; ++i) {
                [[unroll]] for (uint j = 0u; j < TN; ++j) acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]);
            }
        }
    }

    // No early exit: loops with a break are not unrolled by every compiler, and a rolled loop
    // would leave acc[] in scratch memory.
    [[unroll]] for (uint i = 0u; i < TM; ++i) {
        uint m = m0 + ty + i * WG_M;
        [[unroll]] for (uint j = 0u; j < TN; ++j) {
            uint n = n0 + tx + j * WG_N;
            if (m < M && n < N) GEMM_STORE(m, n, acc[i * TN + j]);
        }
    }
}
