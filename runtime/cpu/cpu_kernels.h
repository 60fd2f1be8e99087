// The CPU reference kernels, on raw contiguous row-major f32 (and i32 id) arrays. Shapes are
// trusted: the graph checked them when the node was built. Outputs never alias inputs.
#pragma once

#include <cstdint>
#include <vector>

#include "cliprt/backend.h"
#include "cliprt/graph.h"
#include "cliprt/op_args.h"
#include "cpu/thread_pool.h"

namespace cliprt::cpu {

// ---- elementwise (cpu_elementwise.cpp) ----

float activate(Activation act, float x);
// x[i] = act(x[i]) in place.
void activate_inplace(Activation act, float* x, int64_t n);
// y = alpha * act(x) + beta.
void unary(ThreadPool& pool, const float* x, float* y, int64_t n, Activation act, float alpha, float beta);
// y = tanh(x), in double and rounded once.
void tanh(ThreadPool& pool, const float* x, float* y, int64_t n);
// y = a (op) b with b broadcast to a_shape (numpy rules: b's dims align with a's trailing dims).
void binary(ThreadPool& pool, BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape,
            float* y);
// The epilogue of Linear and Conv2d on c [rows, cols], in place: c = act(c + bias + residual), with
// bias[col] or, if bias_per_row, bias[row]. bias and residual may be null.
void bias_residual_act(ThreadPool& pool, float* c, int64_t rows, int64_t cols, const float* bias, bool bias_per_row,
                       Activation act, const float* residual);

// ---- linear (cpu_linear.cpp) ----

// y[m, n] = act(x[m, :] . w[n, :] + bias[n] + residual[m, n]); bias and residual may be null.
void linear(ThreadPool& pool, const float* x, const float* w, const float* bias, const float* residual, float* y,
            int64_t m, int64_t n, int64_t k, Activation act);

// ---- conv2d (cpu_conv2d.cpp) ----

struct Conv2dShape {
    int64_t batch = 1, in_channels = 1, in_h = 1, in_w = 1;
    int64_t out_channels = 1, kernel_h = 1, kernel_w = 1;
    int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
    int64_t groups = 1;  // grouped_conv2d only
    int64_t out_h() const { return (in_h + 2 * pad_h - kernel_h) / stride_h + 1; }
    int64_t out_w() const { return (in_w + 2 * pad_w - kernel_w) / stride_w + 1; }
};
// NCHW: y = act(conv(x, w) + bias[o] + residual); w [O, I, kh, kw]; bias and residual may be null.
void conv2d(ThreadPool& pool, const float* x, const float* w, const float* bias, const float* residual, float* y,
            const Conv2dShape& s, Activation act);
// The same in s.groups groups: w [O, I / groups, kh, kw], output channel o reads the input channels
// of group o / (O / groups). A direct loop per output element (depthwise convolutions have too
// little reduction for a GEMM).
void grouped_conv2d(ThreadPool& pool, const float* x, const float* w, const float* bias, const float* residual,
                    float* y, const Conv2dShape& s, Activation act);

// ---- attention (cpu_attention.cpp) ----

// Where q, k and v rows live: row r of batch b of q starts at q + b * q_batch_stride + r *
// q_row_stride (q_batch_stride 0 broadcasts one q over the batch); likewise for k and v. Head h
// uses channels [h * head_dim, (h + 1) * head_dim) of each row.
struct AttentionLayout {
    int64_t batch = 1, q_len = 1, kv_len = 1, head_dim = 1;
    int64_t q_batch_stride = 0, q_row_stride = 0;
    int64_t k_batch_stride = 0, k_row_stride = 0;
    int64_t v_batch_stride = 0, v_row_stride = 0;
};
// out [batch, q_len, heads * head_dim]. logit_mult (cosine) and head_scale (has_head_scale) are
// per-head arrays, key_mask [batch, kv_len] (has_key_mask: key j of batch b is seen where nonzero),
// null when unused. A query that sees no key gives zeros.
void attention(ThreadPool& pool, const AttentionParams& params, const AttentionLayout& layout, const float* q,
               const float* k, const float* v, const float* logit_mult, const float* head_scale,
               const int32_t* key_mask, float* out);

// The operands of an Attention node as f32 pointers (from attention_view of cliprt/op_args.h), for
// every CPU kernel.
struct AttentionOperands {
    AttentionLayout layout;
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;
    const float* logit_mult = nullptr;  // cosine only
    const float* head_scale = nullptr;  // has_head_scale only
    const int32_t* key_mask = nullptr;  // has_key_mask only: [batch, kv_len]
    float* out = nullptr;
};
AttentionOperands attention_operands(const cliprt::NodeArgs& args);

// ---- normalization (cpu_normalization.cpp) ----

void layer_norm(ThreadPool& pool, const float* x, const float* gamma, const float* beta, float* y, int64_t rows,
                int64_t width, float eps);
void l2_normalize(ThreadPool& pool, const float* x, float* y, int64_t rows, int64_t width);
void softmax(ThreadPool& pool, const float* x, float* y, int64_t rows, int64_t width);

// ---- layout (cpu_layout.cpp) ----

// y [..., W] = table[ids[...], :] for n ids; ids must already be in [0, vocab).
void embedding(const int32_t* ids, int64_t n, const float* table, int64_t width, float* y);
// Index of the first id outside [0, vocab), or -1 if all are valid.
int64_t first_invalid_id(const int32_t* ids, int64_t n, int64_t vocab);
// Concatenation along axis; each input's non-axis dims equal out_shape's or are 1 (broadcast).
void concat(const std::vector<const float*>& inputs, const std::vector<Shape>& shapes, int axis, float* y,
            const Shape& out_shape);
// y = x with axes permuted (output axis i is input axis perm[i]); 4-byte elements of any type.
void permute(const void* x, const Shape& x_shape, const std::vector<int>& perm, void* y);

// ---- pooling (cpu_pooling.cpp) ----

// The positions come from token_pool_positions (cliprt/graph.h).
// y [batch, width]: the token at positions[b] of x [batch, len, width], or for Mean the average of
// tokens [mean_start, len).
void token_pool(const TokenPoolParams& params, const float* x, const std::vector<int64_t>& positions, int64_t batch,
                int64_t len, int64_t width, float* y);
// y [batch, width]: the mean (MaskedMean) or maximum (MaskedMax) of the tokens of x whose mask
// [batch, len] entry is nonzero; zeros for a row without any.
void masked_token_pool(PoolMode mode, const float* x, const int32_t* mask, int64_t batch, int64_t len, int64_t width,
                       float* y);
// NCHW average pooling without padding; planes = N * C.
void avg_pool2d(ThreadPool& pool, const float* x, float* y, int64_t planes, int64_t in_h, int64_t in_w,
                const AvgPool2dParams& p);

}  // namespace cliprt::cpu
