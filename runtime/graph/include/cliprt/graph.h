// The model graph: a flat, topologically ordered list of nodes over typed values.
//
// Values are graph inputs, constants (weights, owned here as host tensors and shared between graphs
// built from the same weights) or activations produced by exactly one node. Every op's shape rule
// lives in the add_* method that creates it, so a graph that was built is a graph whose shapes
// agree; backends never re-check them.
#pragma once

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "cliprt/tensor.h"

namespace cliprt {

using ValueId = int32_t;

enum class ValueKind : uint8_t { Input, Constant, Activation };

struct Value {
    ValueId id = -1;
    std::string name;
    Shape shape;
    DType dtype = DType::F32;
    ValueKind kind = ValueKind::Activation;
    std::shared_ptr<const Tensor> constant;  // set for constants (f32 or i32 host data)
    ValueId alias_of = -1;                   // a Reshape output shares the storage of this value
};

enum class Activation : uint8_t { None, Relu, Gelu, GeluTanh, QuickGelu, Sigmoid };
const char* activation_name(Activation act);

enum class OpKind : uint8_t {
    Linear,         // y = act(x @ W^T + b + residual); x [..., K], W [N, K]
    Conv2d,         // y = act(conv(x, W) + b + residual); NCHW, W [O, I, kh, kw], b from folded batch norm
    GroupedConv2d,  // Conv2d in `groups` groups (depthwise: groups = I = O); W [O, I / groups, kh, kw]
    AvgPool2d,      // NCHW, kernel and stride, no padding, floor
    LayerNorm,      // over the last dimension
    Attention,      // multi-head scaled-dot-product or scaled-cosine attention
    Unary,          // y = alpha * act(x) + beta
    Binary,         // y = a (op) b, b broadcast to a's shape (numpy rules)
    Embedding,      // y[..., :] = table[ids[...], :]
    Concat,         // along one axis; other dims equal or 1 (broadcast)
    Reshape,        // a view: no data moves
    Permute,        // copy with permuted axes
    TokenPool,      // [B, L, W] -> [B, W]
    L2Normalize,    // over the last dimension, x / max(|x|, 1e-12)
    Softmax,        // over the last dimension
    Tanh,           // y = tanh(x) elementwise (BERT's pooler)
};
const char* op_name(OpKind op);

enum class BinaryOp : uint8_t { Add, Mul };
// MaskedMean and MaskedMax pool the tokens whose mask entry is nonzero (Hugging Face attention
// masks); a row with no such token gives zeros.
enum class PoolMode : uint8_t { First, Last, Argmax, Eos, Mean, MaskedMean, MaskedMax };
// Whether token_pool takes a second input [B, L] (i32): ids for Argmax and Eos, the mask for the masked modes.
inline bool token_pool_takes_ids(PoolMode mode) {
    return mode == PoolMode::Argmax || mode == PoolMode::Eos || mode == PoolMode::MaskedMean ||
           mode == PoolMode::MaskedMax;
}

struct LinearParams {
    Activation act = Activation::None;
    bool has_bias = false;
    bool has_residual = false;
};
struct Conv2dParams {
    int stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
    // GroupedConv2d only (Conv2d is one group): output channel o reads input channels
    // [g * I / groups, (g + 1) * I / groups) with g = o / (O / groups).
    int groups = 1;
    Activation act = Activation::None;
    bool has_bias = false;
    bool has_residual = false;
};
struct AvgPool2dParams {
    int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
};
struct LayerNormParams {
    float eps = 1e-5f;
};
// Inputs: packed qkv [B, L, 3*H*D], or q [Bq, Lq, H*D] (Bq = B or 1), k and v [B, Lk, H*D];
// then, if cosine, per-head logit multipliers [H] (already clamped and exp'd); then, if
// has_head_scale, per-head output scales [H]; then, if has_key_mask, the key mask [B, Lk] (i32,
// nonzero: the key is seen; Hugging Face's attention_mask). Output [B, Lq, H*D]; a query that sees
// no key at all gives zeros.
struct AttentionParams {
    int heads = 1;
    bool packed_qkv = false;
    bool causal = false;  // query i sees keys 0..i (requires Lq == Lk)
    bool cosine = false;  // q and k l2-normalized per head, scores * logit multiplier
    bool has_head_scale = false;
    bool has_key_mask = false;
    float scale = 1.0f;  // score multiplier when not cosine, usually 1/sqrt(D)
};
struct UnaryParams {
    Activation act = Activation::None;
    float alpha = 1.0f;
    float beta = 0.0f;
};
struct BinaryParams {
    BinaryOp op = BinaryOp::Add;
};
struct ConcatParams {
    int axis = 0;
};
struct PermuteParams {
    std::vector<int> perm;  // output axis i is input axis perm[i]
};
// Inputs: x [B, L, W], plus ids [B, L] (i32) for Argmax and Eos, or the mask [B, L] (i32) for
// MaskedMean and MaskedMax.
struct TokenPoolParams {
    PoolMode mode = PoolMode::First;
    int eos_id = 49407;  // Eos: first position whose id equals this (position 0 if none, as torch argmax)
    int mean_start = 0;  // Mean: average of tokens [mean_start, L)
};
// The token each batch row pools for First/Last/Argmax/Eos (ids [batch, len], null for First/Last;
// 0 for the other modes): every backend's token_pool and the text trimming follow this rule.
std::vector<int64_t> token_pool_positions(const TokenPoolParams& params, const int32_t* ids, int64_t batch,
                                          int64_t len);
struct NoParams {};

using OpParams = std::variant<NoParams, LinearParams, Conv2dParams, AvgPool2dParams, LayerNormParams, AttentionParams,
                              UnaryParams, BinaryParams, ConcatParams, PermuteParams, TokenPoolParams>;

struct Node {
    OpKind op;
    std::vector<ValueId> inputs;
    ValueId output = -1;
    OpParams params;
    std::string name;  // for error messages and profiles

    template <typename P>
    const P& get() const {
        return std::get<P>(params);
    }
};

class Graph {
public:
    ValueId add_input(const std::string& name, Shape shape, DType dtype);
    // Constants keep their data; f16/bf16 tensors are converted to f32 first.
    ValueId add_constant(const std::string& name, Tensor tensor);
    ValueId add_constant(const std::string& name, std::shared_ptr<const Tensor> tensor);
    void mark_output(ValueId value);

    ValueId linear(ValueId x, ValueId weight, ValueId bias = -1, Activation act = Activation::None,
                   ValueId residual = -1, const std::string& name = "");
    ValueId conv2d(ValueId x, ValueId weight, ValueId bias, const Conv2dParams& params, ValueId residual = -1,
                   const std::string& name = "");
    // params.groups divides both channel counts; weight [O, I / groups, kh, kw].
    ValueId grouped_conv2d(ValueId x, ValueId weight, ValueId bias, const Conv2dParams& params, ValueId residual = -1,
                           const std::string& name = "");
    ValueId avg_pool2d(ValueId x, const AvgPool2dParams& params, const std::string& name = "");
    ValueId layer_norm(ValueId x, ValueId gamma, ValueId beta, float eps, const std::string& name = "");
    // inputs as described at AttentionParams.
    ValueId attention(const std::vector<ValueId>& inputs, const AttentionParams& params, const std::string& name = "");
    ValueId unary(ValueId x, Activation act, float alpha = 1.0f, float beta = 0.0f, const std::string& name = "");
    ValueId binary(BinaryOp op, ValueId a, ValueId b, const std::string& name = "");
    ValueId embedding(ValueId ids, ValueId table, const std::string& name = "");
    ValueId concat(const std::vector<ValueId>& inputs, int axis, const std::string& name = "");
    ValueId reshape(ValueId x, Shape shape, const std::string& name = "");
    ValueId permute(ValueId x, std::vector<int> perm, const std::string& name = "");
    ValueId token_pool(ValueId x, ValueId ids, const TokenPoolParams& params, const std::string& name = "");
    ValueId l2_normalize(ValueId x, const std::string& name = "");
    ValueId softmax(ValueId x, const std::string& name = "");
    ValueId tanh(ValueId x, const std::string& name = "");

    const Value& value(ValueId id) const { return values_.at(static_cast<size_t>(id)); }
    const std::vector<Value>& values() const { return values_; }
    const std::vector<Node>& nodes() const { return nodes_; }
    const std::vector<ValueId>& inputs() const { return inputs_; }
    const std::vector<ValueId>& outputs() const { return outputs_; }
    const Shape& shape(ValueId id) const { return value(id).shape; }

    // The value whose storage `id` uses (follows Reshape aliases).
    ValueId storage_root(ValueId id) const;

private:
    ValueId add_value(const std::string& name, Shape shape, DType dtype, ValueKind kind);
    ValueId add_node(OpKind op, std::vector<ValueId> inputs, OpParams params, Shape out_shape, DType out_dtype,
                     const std::string& name);
    void check_id(ValueId id, const char* what) const;
    ValueId add_conv(OpKind op, ValueId x, ValueId weight, ValueId bias, const Conv2dParams& params, ValueId residual,
                     const std::string& name);

    std::vector<Value> values_;
    std::vector<Node> nodes_;
    std::vector<ValueId> inputs_;
    std::vector<ValueId> outputs_;
};

}  // namespace cliprt
