// The arguments of one node as every backend's recorder sees them, decoded once for all backends:
// NodeArgs (where each input and the output live), and per op a view that names the optional
// inputs and works out the sizes and strides the kernels take. A backend's recorder adds only its
// own handles (device pointers, bindings, push constants) to these.
//
// Strides and offsets are in elements of the tensor's storage dtype; add the TensorArg's byte
// offset (or use the backend's data pointer of the TensorArg) first.
#pragma once

#include <cstdint>
#include <vector>

#include "cliprt/backend.h"

namespace cliprt {

// A node with the places of its inputs (in node.inputs order) and its output.
struct NodeArgs {
    const Node& node;
    std::vector<TensorArg> inputs;
    TensorArg output;
};

// args[v] is where value v lives, as Backend::record gets it.
NodeArgs gather_node_args(const Node& node, const std::vector<TensorArg>& args);

// Linear: y [..., N] = act(x w^T + bias) + residual; x [..., K], w [N, K], bias [N], residual like y.
struct LinearView {
    LinearParams params;
    const TensorArg& x;
    const TensorArg& w;
    const TensorArg* bias;      // null when the node has none
    const TensorArg* residual;  // null when the node has none
    int64_t m, n, k;            // rows of x, output features, input features
};
LinearView linear_view(const NodeArgs& args);

// Conv2d: y [B, O, OH, OW] = act(conv(x [B, C, H, W], w [O, C, KH, KW]) + bias [O]) + residual.
// GroupedConv2d has the same view with w [O, C / groups, KH, KW] (params.groups).
struct Conv2dView {
    Conv2dParams params;
    const TensorArg& x;
    const TensorArg& w;
    const TensorArg* bias;      // null when the node has none
    const TensorArg* residual;  // null when the node has none
    int64_t batch, in_channels, in_h, in_w;
    int64_t out_channels, kernel_h, kernel_w, out_h, out_w;
};
Conv2dView conv2d_view(const NodeArgs& args);

// One of attention's q, k, v: element (b, row, h * head_dim + d) is at
// offset + b * batch_stride + row * row_stride + h * head_dim + d of `arg`.
struct AttentionOperand {
    const TensorArg* arg;
    int64_t offset = 0;        // packed qkv: 0, width, 2 * width
    int64_t batch_stride = 0;  // 0: one q for every batch row (q [1, Lq, W])
    int64_t row_stride = 0;
};

// Attention: out [B, Lq, W] from q, k, v given packed (one [B, L, 3W] tensor, q k v side by side
// in each row) or separately (q [B or 1, Lq, W], k and v [B, Lk, W]).
struct AttentionView {
    AttentionParams params;
    AttentionOperand q, k, v;
    const TensorArg* logit_mult;  // [heads] score multipliers, cosine only; null otherwise
    const TensorArg* head_scale;  // [heads] output scales, has_head_scale only; null otherwise
    const TensorArg* key_mask;    // [batch, kv_len] i32, nonzero: key seen; has_key_mask only; null otherwise
    int64_t batch, q_len, kv_len, heads, head_dim, width;
};
AttentionView attention_view(const NodeArgs& args);
// Head dimension of an attention node (for unsupported_reason, before any TensorArg exists).
int64_t attention_head_dim(const Graph& graph, const Node& node);

// Ops over the last dimension (layer norm, l2 normalize, softmax): rows of `width` elements.
struct RowsView {
    const TensorArg& x;
    int64_t rows, width;
};
RowsView rows_view(const NodeArgs& args);

// TokenPool: y [B, W] from x [B, L, W] and, for Argmax and Eos, ids [B, L] (the mask [B, L] for
// MaskedMean and MaskedMax).
struct TokenPoolView {
    TokenPoolParams params;
    const TensorArg& x;
    const TensorArg* ids;  // ids or mask; null for First, Last, Mean
    int64_t batch, len, width;
};
TokenPoolView token_pool_view(const NodeArgs& args);

}  // namespace cliprt
