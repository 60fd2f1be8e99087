// The kernels of the CUDA backend as host-callable launchers: a plain argument struct in, kernel
// launches on a stream out. Nothing here includes cliprt's headers, so the .cu files stay small,
// compile quickly and do not depend on the graph IR; record_ops.cpp turns graph nodes into these
// structs. Pointers are device pointers; float tensors hold `Storage` elements (f32 or f16) and
// every kernel accumulates in f32. Shapes were checked when the graph was built.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace cliprt::cuda {

enum class Storage : uint8_t { F32, F16 };
// Same values as cliprt::Activation (record_ops.cpp checks).
enum class Act : uint8_t { None, Relu, Gelu, GeluTanh, QuickGelu, Sigmoid };
// Same values as cliprt::PoolMode.
enum class Pool : uint8_t { First, Last, Argmax, Eos, Mean, MaskedMean, MaskedMax };

// The highest tensor rank the generic index kernels (binary, concat, permute) take.
inline constexpr int kMaxRank = 6;
// The largest attention head dimension: each lane of a warp keeps head_dim / 32 accumulators.
inline constexpr int kMaxAttentionHeadDim = 128;

// y = alpha * act(x) + beta elementwise; y may equal x.
struct UnaryArgs {
    const void* x = nullptr;
    void* y = nullptr;
    int64_t n = 0;
    Act act = Act::None;
    float alpha = 1.0f;
    float beta = 0.0f;
};
void launch_unary(Storage s, const UnaryArgs& a, cudaStream_t stream);

// y = tanh(x) elementwise; y may equal x.
struct TanhArgs {
    const void* x = nullptr;
    void* y = nullptr;
    int64_t n = 0;
};
void launch_tanh(Storage s, const TanhArgs& a, cudaStream_t stream);

// y = a (+ or *) b; b_strides[d] is b's element stride along y's axis d (0 where broadcast).
struct BinaryArgs {
    const void* a = nullptr;
    const void* b = nullptr;
    void* y = nullptr;
    bool multiply = false;
    int rank = 0;
    int64_t dims[kMaxRank] = {};
    int64_t b_strides[kMaxRank] = {};
};
void launch_binary(Storage s, const BinaryArgs& a, cudaStream_t stream);

// Row-wise ops over the last dimension of x [rows, width].
struct RowArgs {
    const void* x = nullptr;
    void* y = nullptr;
    int64_t rows = 0;
    int64_t width = 0;
};
struct LayerNormArgs {
    RowArgs rows;
    const void* gamma = nullptr;
    const void* beta = nullptr;
    float eps = 1e-5f;
};
void launch_layer_norm(Storage s, const LayerNormArgs& a, cudaStream_t stream);
void launch_l2_normalize(Storage s, const RowArgs& a, cudaStream_t stream);
void launch_softmax(Storage s, const RowArgs& a, cudaStream_t stream);

// Multi-head attention; head h of a row is channels [h * head_dim, (h + 1) * head_dim). Row r of
// batch b of q starts at q + b * q_batch_stride + r * q_row_stride (elements); likewise k and v.
// logit_mult (cosine) and head_scale are per-head arrays or null; key_mask [batch, kv_len] (key j
// of batch b is seen where nonzero) or null; a query that sees no key gives zeros.
// out [batch, q_len, heads * head_dim].
struct AttentionArgs {
    const void* q = nullptr;
    const void* k = nullptr;
    const void* v = nullptr;
    const void* logit_mult = nullptr;
    const void* head_scale = nullptr;
    const int32_t* key_mask = nullptr;
    void* out = nullptr;
    int batch = 1, heads = 1, q_len = 1, kv_len = 1, head_dim = 1;
    int64_t q_batch_stride = 0, q_row_stride = 0;
    int64_t k_batch_stride = 0, k_row_stride = 0;
    int64_t v_batch_stride = 0, v_row_stride = 0;
    bool causal = false;
    bool cosine = false;
    float scale = 1.0f;
};
void launch_attention(Storage s, const AttentionArgs& a, cudaStream_t stream);

// NCHW: y = act(conv(x, w) + bias[o] + residual); bias and residual may be null.
struct Conv2dArgs {
    const void* x = nullptr;
    const void* w = nullptr;
    const void* bias = nullptr;
    const void* residual = nullptr;
    void* y = nullptr;
    int batch = 1, in_channels = 1, in_h = 1, in_w = 1;
    int out_channels = 1, kernel_h = 1, kernel_w = 1;
    int stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
    int out_h = 1, out_w = 1;
    Act act = Act::None;
};
void launch_conv2d(Storage s, const Conv2dArgs& a, cudaStream_t stream);
// The same in `groups` groups (w [O, in_channels / groups, kh, kw]): one thread per output element.
void launch_grouped_conv2d(Storage s, const Conv2dArgs& a, int groups, cudaStream_t stream);

// NCHW average pooling without padding; planes = N * C.
struct AvgPool2dArgs {
    const void* x = nullptr;
    void* y = nullptr;
    int64_t planes = 0;
    int in_h = 1, in_w = 1, out_h = 1, out_w = 1;
    int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
};
void launch_avg_pool2d(Storage s, const AvgPool2dArgs& a, cudaStream_t stream);

// y [B, W] from x [B, L, W]: one token per row (First, Last, Argmax/Eos over ids [B, L]) or the
// mean of tokens [mean_start, L).
struct TokenPoolArgs {
    const void* x = nullptr;
    const int32_t* ids = nullptr;
    void* y = nullptr;
    int batch = 1, len = 1, width = 1;
    Pool mode = Pool::First;
    int eos_id = 0;
    int mean_start = 0;
};
void launch_token_pool(Storage s, const TokenPoolArgs& a, cudaStream_t stream);

// y [n, width] = table[ids[i], :]. An id outside [0, vocab) is clamped into range (never read
// out of bounds) and the smallest such position is atomicMin'd into *error_position, which the
// program resets before and checks after each run.
struct EmbeddingArgs {
    const int32_t* ids = nullptr;
    const void* table = nullptr;
    void* y = nullptr;
    int64_t n = 0;
    int64_t width = 0;
    int64_t vocab = 0;
    int* error_position = nullptr;
};
void launch_embedding(Storage s, const EmbeddingArgs& a, cudaStream_t stream);

// Copies one input of a concatenation into its slice of y: dims are the slice's dims (y's dims
// with the input's extent on the concat axis); x_strides are 0 on broadcast axes; the slice starts
// at y + y_offset.
struct ConcatPartArgs {
    const void* x = nullptr;
    void* y = nullptr;
    int rank = 0;
    int64_t dims[kMaxRank] = {};
    int64_t x_strides[kMaxRank] = {};
    int64_t y_strides[kMaxRank] = {};
    int64_t y_offset = 0;
};
void launch_concat_part(Storage s, const ConcatPartArgs& a, cudaStream_t stream);

// y = x with permuted axes: y's axis d walks x with stride x_strides[d]. Elements of 2 or 4 bytes
// (f16, f32, i32).
struct PermuteArgs {
    const void* x = nullptr;
    void* y = nullptr;
    int rank = 0;
    int element_bytes = 4;
    int64_t dims[kMaxRank] = {};
    int64_t x_strides[kMaxRank] = {};
};
void launch_permute(const PermuteArgs& a, cudaStream_t stream);

}  // namespace cliprt::cuda
