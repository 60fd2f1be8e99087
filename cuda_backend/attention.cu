// Fused multi-head attention with online softmax (the attention shader's algorithm):
//
// A block of kWarps warps takes kWarps consecutive query rows of one (batch, head); each warp owns
// one query row. The block walks the keys in tiles of 32: all threads stage the tile's K and V
// rows (converted to f32) in shared memory, then lane j of each warp scores key j against the
// warp's query. The warp keeps the running maximum m, the running denominator l and the output
// accumulator (head_dim / 32 channels per lane); a new tile rescales them by exp(m_old - m_new)
// before adding exp(s_j - m_new) * v_j, so the full score row never exists in memory.
//
// Variants: causal (query i sees keys 0..i; tiles past the block's last query are skipped), a key
// mask (key j of batch b is seen where key_mask[b * kv_len + j] != 0; no key seen gives zeros),
// scaled cosine (q and k l2-normalized per head, scores times the per-head logit multiplier;
// the key's norm is divided out of its dot product), per-head output scale, packed or separate
// q/k/v through strides, and one q row set shared by the batch (q_batch_stride 0).
#include "device_common.cuh"

namespace cliprt::cuda {

namespace {

constexpr int kWarps = 8;
constexpr int kKeys = 32;  // keys per tile: one per lane
constexpr int kDimsPerLane = kMaxAttentionHeadDim / 32;
// +1 column: lane j reading row j at the same channel hits a different bank per lane.
constexpr int kTileStride = kMaxAttentionHeadDim + 1;

template <typename T>
__global__ void __launch_bounds__(kWarps * 32) attention_kernel(AttentionArgs a) {
    __shared__ float k_tile[kKeys * kTileStride];
    __shared__ float v_tile[kKeys * kTileStride];
    __shared__ float q_rows[kWarps * kMaxAttentionHeadDim];

    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;
    const int h = blockIdx.y;
    const int b = blockIdx.z;
    const int i = blockIdx.x * kWarps + warp;  // this warp's query row
    const bool row_valid = i < a.q_len;
    const int dim = a.head_dim;
    const T* k = static_cast<const T*>(a.k) + b * a.k_batch_stride + h * dim;
    const T* v = static_cast<const T*>(a.v) + b * a.v_batch_stride + h * dim;
    float* q_row = q_rows + warp * kMaxAttentionHeadDim;

    const float score_mult = a.cosine ? to_f32(static_cast<const T*>(a.logit_mult)[h]) : a.scale;
    if (row_valid) {
        const T* q = static_cast<const T*>(a.q) + b * a.q_batch_stride + i * a.q_row_stride + h * dim;
        float squares = 0.0f;
        for (int d = lane; d < dim; d += 32) {
            const float value = to_f32(q[d]);
            q_row[d] = value;
            squares += value * value;
        }
        if (a.cosine) {
            const float norm = fmaxf(sqrtf(warp_sum(squares)), 1e-12f);
            for (int d = lane; d < dim; d += 32) q_row[d] /= norm;
        }
    }

    // With a causal mask no query of this block sees keys past its last row.
    const int key_end = a.causal ? min(a.kv_len, static_cast<int>(blockIdx.x + 1) * kWarps) : a.kv_len;
    float m = -INFINITY;
    float l = 0.0f;
    float acc[kDimsPerLane];
#pragma unroll
    for (int r = 0; r < kDimsPerLane; ++r) acc[r] = 0.0f;

    for (int tile = 0; tile < key_end; tile += kKeys) {
        __syncthreads();  // the previous tile is consumed (and q_rows written)
        for (int e = threadIdx.x; e < kKeys * dim; e += blockDim.x) {
            const int j = e / dim;
            const int d = e % dim;
            const int key = tile + j;
            const bool inside = key < a.kv_len;
            k_tile[j * kTileStride + d] = inside ? to_f32(k[key * a.k_row_stride + d]) : 0.0f;
            v_tile[j * kTileStride + d] = inside ? to_f32(v[key * a.v_row_stride + d]) : 0.0f;
        }
        __syncthreads();
        if (!row_valid) continue;  // warp-uniform

        const int key = tile + lane;
        float s = -INFINITY;
        const bool seen =
            a.key_mask == nullptr || (key < a.kv_len && a.key_mask[static_cast<int64_t>(b) * a.kv_len + key] != 0);
        if (key < a.kv_len && (!a.causal || key <= i) && seen) {
            const float* k_row = k_tile + lane * kTileStride;
            float dot = 0.0f;
            float k_squares = 0.0f;
            for (int d = 0; d < dim; ++d) {
                dot += q_row[d] * k_row[d];
                k_squares += k_row[d] * k_row[d];
            }
            s = a.cosine ? score_mult * (dot / fmaxf(sqrtf(k_squares), 1e-12f)) : score_mult * dot;
        }
        const float m_new = fmaxf(m, warp_max(s));
        if (m_new == -INFINITY) continue;          // warp-uniform: no visible key yet
        const float correction = expf(m - m_new);  // 0 on the first visible tile
        const float p = expf(s - m_new);           // 0 for masked keys
        l = l * correction + warp_sum(p);
#pragma unroll
        for (int r = 0; r < kDimsPerLane; ++r) acc[r] *= correction;
        const int tile_keys = min(kKeys, key_end - tile);
        for (int j = 0; j < tile_keys; ++j) {
            const float pj = __shfl_sync(0xffffffffu, p, j);
            const float* v_row = v_tile + j * kTileStride;
#pragma unroll
            for (int r = 0; r < kDimsPerLane; ++r) {
                const int d = lane + 32 * r;
                if (d < dim) acc[r] += pj * v_row[d];
            }
        }
        m = m_new;
    }

    if (!row_valid) return;
    const float out_scale = a.head_scale != nullptr ? to_f32(static_cast<const T*>(a.head_scale)[h]) : 1.0f;
    T* out = static_cast<T*>(a.out) + (static_cast<int64_t>(b) * a.q_len + i) * a.heads * dim + h * dim;
#pragma unroll
    for (int r = 0; r < kDimsPerLane; ++r) {
        const int d = lane + 32 * r;
        if (d < dim) out[d] = from_f32<T>(l > 0.0f ? acc[r] / l * out_scale : 0.0f);
    }
}

}  // namespace

void launch_attention(Storage s, const AttentionArgs& a, cudaStream_t stream) {
    const dim3 grid(static_cast<unsigned>((a.q_len + kWarps - 1) / kWarps), static_cast<unsigned>(a.heads),
                    static_cast<unsigned>(a.batch));
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        attention_kernel<T><<<grid, kWarps * 32, 0, stream>>>(a);
    });
}

}  // namespace cliprt::cuda
