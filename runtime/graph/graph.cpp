#include "cliprt/graph.h"

#include <algorithm>

#include "cliprt/error.h"

namespace cliprt {

std::vector<int64_t> token_pool_positions(const TokenPoolParams& params, const int32_t* ids, int64_t batch,
                                          int64_t len) {
    std::vector<int64_t> positions(static_cast<size_t>(batch), 0);
    for (int64_t b = 0; b < batch; ++b) {
        const int32_t* row = ids != nullptr ? ids + b * len : nullptr;
        int64_t& pos = positions[static_cast<size_t>(b)];
        switch (params.mode) {
            case PoolMode::First:
                pos = 0;
                break;
            case PoolMode::Last:
                pos = len - 1;
                break;
            case PoolMode::Argmax:
                pos = std::max_element(row, row + len) - row;
                break;  // first of equal maxima
            case PoolMode::Eos:
                // torch's argmax(ids == eos): the first match, position 0 when there is none.
                pos = std::find(row, row + len, params.eos_id) - row;
                if (pos == len) pos = 0;
                break;
            case PoolMode::Mean:
            case PoolMode::MaskedMean:
            case PoolMode::MaskedMax:
                pos = 0;
                break;  // unused
        }
    }
    return positions;
}

const char* activation_name(Activation act) {
    switch (act) {
        case Activation::None:
            return "none";
        case Activation::Relu:
            return "relu";
        case Activation::Gelu:
            return "gelu";
        case Activation::GeluTanh:
            return "gelu_tanh";
        case Activation::QuickGelu:
            return "quick_gelu";
        case Activation::Sigmoid:
            return "sigmoid";
    }
    return "?";
}

const char* op_name(OpKind op) {
    switch (op) {
        case OpKind::Linear:
            return "linear";
        case OpKind::Conv2d:
            return "conv2d";
        case OpKind::GroupedConv2d:
            return "grouped_conv2d";
        case OpKind::AvgPool2d:
            return "avg_pool2d";
        case OpKind::LayerNorm:
            return "layer_norm";
        case OpKind::Attention:
            return "attention";
        case OpKind::Unary:
            return "unary";
        case OpKind::Binary:
            return "binary";
        case OpKind::Embedding:
            return "embedding";
        case OpKind::Concat:
            return "concat";
        case OpKind::Reshape:
            return "reshape";
        case OpKind::Permute:
            return "permute";
        case OpKind::TokenPool:
            return "token_pool";
        case OpKind::L2Normalize:
            return "l2_normalize";
        case OpKind::Softmax:
            return "softmax";
        case OpKind::Tanh:
            return "tanh";
    }
    return "?";
}

namespace {

bool is_float(DType d) { return d == DType::F32 || d == DType::F16 || d == DType::BF16; }

}  // namespace

ValueId Graph::add_value(const std::string& name, Shape shape, DType dtype, ValueKind kind) {
    Value v;
    v.id = static_cast<ValueId>(values_.size());
    v.name = name;
    v.shape = std::move(shape);
    v.dtype = dtype;
    v.kind = kind;
    values_.push_back(std::move(v));
    return values_.back().id;
}

void Graph::check_id(ValueId id, const char* what) const {
    if (id < 0 || static_cast<size_t>(id) >= values_.size()) fail("graph: invalid value id ", id, " for ", what);
}

ValueId Graph::add_input(const std::string& name, Shape shape, DType dtype) {
    ValueId id = add_value(name, std::move(shape), dtype, ValueKind::Input);
    inputs_.push_back(id);
    return id;
}

ValueId Graph::add_constant(const std::string& name, Tensor tensor) {
    if (is_float(tensor.dtype()) && tensor.dtype() != DType::F32) tensor = tensor.to_f32();
    return add_constant(name, std::make_shared<const Tensor>(std::move(tensor)));
}

ValueId Graph::add_constant(const std::string& name, std::shared_ptr<const Tensor> tensor) {
    if (tensor->dtype() != DType::F32 && tensor->dtype() != DType::I32)
        fail("graph: constant '", name, "' must be f32 or i32, got ", dtype_name(tensor->dtype()));
    ValueId id = add_value(name, tensor->shape(), tensor->dtype(), ValueKind::Constant);
    values_[static_cast<size_t>(id)].constant = std::move(tensor);
    return id;
}

void Graph::mark_output(ValueId value) {
    check_id(value, "output");
    outputs_.push_back(value);
}

ValueId Graph::add_node(OpKind op, std::vector<ValueId> inputs, OpParams params, Shape out_shape, DType out_dtype,
                        const std::string& name) {
    std::string node_name = name.empty() ? std::string(op_name(op)) + "_" + std::to_string(nodes_.size()) : name;
    ValueId out = add_value(node_name, std::move(out_shape), out_dtype, ValueKind::Activation);
    Node node{op, std::move(inputs), out, std::move(params), node_name};
    nodes_.push_back(std::move(node));
    return out;
}

ValueId Graph::storage_root(ValueId id) const {
    while (value(id).alias_of >= 0) id = value(id).alias_of;
    return id;
}

ValueId Graph::linear(ValueId x, ValueId weight, ValueId bias, Activation act, ValueId residual,
                      const std::string& name) {
    check_id(x, "linear input");
    check_id(weight, "linear weight");
    const Shape& xs = shape(x);
    const Shape& ws = shape(weight);
    if (xs.rank() < 1 || ws.rank() != 2 || xs[-1] != ws[1])
        fail("linear ", name, ": input ", xs, " does not match weight ", ws, " ([out, in])");
    Shape out = xs;
    out[-1] = ws[0];
    std::vector<ValueId> inputs{x, weight};
    LinearParams p;
    p.act = act;
    if (bias >= 0) {
        check_id(bias, "linear bias");
        if (shape(bias) != Shape{ws[0]}) fail("linear ", name, ": bias ", shape(bias), " for weight ", ws);
        inputs.push_back(bias);
        p.has_bias = true;
    }
    if (residual >= 0) {
        check_id(residual, "linear residual");
        if (shape(residual) != out) fail("linear ", name, ": residual ", shape(residual), " for output ", out);
        inputs.push_back(residual);
        p.has_residual = true;
    }
    return add_node(OpKind::Linear, std::move(inputs), p, out, DType::F32, name);
}

namespace {

// Output shape of a (grouped) convolution; errors name the op and node.
Shape conv_output(const char* op, const std::string& name, const Shape& xs, const Shape& ws, const Conv2dParams& p) {
    if (xs.rank() != 4 || ws.rank() != 4 || p.groups < 1 || xs[1] % p.groups != 0 || ws[0] % p.groups != 0 ||
        xs[1] / p.groups != ws[1])
        fail(op, " ", name, ": input ", xs, " in ", p.groups, " group(s) does not match weight ", ws,
             " ([out, in / groups, kh, kw])");
    if (p.stride_h < 1 || p.stride_w < 1 || p.pad_h < 0 || p.pad_w < 0)
        fail(op, " ", name, ": invalid stride or padding");
    const int64_t oh = (xs[2] + 2 * p.pad_h - ws[2]) / p.stride_h + 1;
    const int64_t ow = (xs[3] + 2 * p.pad_w - ws[3]) / p.stride_w + 1;
    if (oh < 1 || ow < 1) fail(op, " ", name, ": input ", xs, " is smaller than kernel ", ws);
    return Shape{xs[0], ws[0], oh, ow};
}

}  // namespace

ValueId Graph::conv2d(ValueId x, ValueId weight, ValueId bias, const Conv2dParams& params, ValueId residual,
                      const std::string& name) {
    if (params.groups != 1) fail("conv2d ", name, ": ", params.groups, " groups need grouped_conv2d");
    return add_conv(OpKind::Conv2d, x, weight, bias, params, residual, name);
}

ValueId Graph::grouped_conv2d(ValueId x, ValueId weight, ValueId bias, const Conv2dParams& params, ValueId residual,
                              const std::string& name) {
    return add_conv(OpKind::GroupedConv2d, x, weight, bias, params, residual, name);
}

ValueId Graph::add_conv(OpKind op, ValueId x, ValueId weight, ValueId bias, const Conv2dParams& params,
                        ValueId residual, const std::string& name) {
    const char* what = op_name(op);
    check_id(x, "conv2d input");
    check_id(weight, "conv2d weight");
    const Shape& ws = shape(weight);
    Shape out = conv_output(what, name, shape(x), ws, params);
    std::vector<ValueId> inputs{x, weight};
    Conv2dParams p = params;
    p.has_bias = bias >= 0;
    p.has_residual = residual >= 0;
    if (bias >= 0) {
        check_id(bias, "conv2d bias");
        if (shape(bias) != Shape{ws[0]}) fail(what, " ", name, ": bias ", shape(bias), " for weight ", ws);
        inputs.push_back(bias);
    }
    if (residual >= 0) {
        check_id(residual, "conv2d residual");
        if (shape(residual) != out) fail(what, " ", name, ": residual ", shape(residual), " for output ", out);
        inputs.push_back(residual);
    }
    return add_node(op, std::move(inputs), p, out, DType::F32, name);
}

ValueId Graph::avg_pool2d(ValueId x, const AvgPool2dParams& params, const std::string& name) {
    check_id(x, "avg_pool2d input");
    const Shape& xs = shape(x);
    if (xs.rank() != 4) fail("avg_pool2d ", name, ": input ", xs, " is not NCHW");
    if (params.kernel_h < 1 || params.kernel_w < 1 || params.stride_h < 1 || params.stride_w < 1)
        fail("avg_pool2d ", name, ": invalid kernel or stride");
    const int64_t oh = (xs[2] - params.kernel_h) / params.stride_h + 1;
    const int64_t ow = (xs[3] - params.kernel_w) / params.stride_w + 1;
    if (xs[2] < params.kernel_h || xs[3] < params.kernel_w)
        fail("avg_pool2d ", name, ": input ", xs, " smaller than kernel");
    return add_node(OpKind::AvgPool2d, {x}, params, Shape{xs[0], xs[1], oh, ow}, DType::F32, name);
}

ValueId Graph::layer_norm(ValueId x, ValueId gamma, ValueId beta, float eps, const std::string& name) {
    check_id(x, "layer_norm input");
    check_id(gamma, "layer_norm weight");
    check_id(beta, "layer_norm bias");
    const Shape& xs = shape(x);
    if (xs.rank() < 1 || shape(gamma) != Shape{xs[-1]} || shape(beta) != Shape{xs[-1]})
        fail("layer_norm ", name, ": input ", xs, " with weight ", shape(gamma), " and bias ", shape(beta));
    return add_node(OpKind::LayerNorm, {x, gamma, beta}, LayerNormParams{eps}, xs, DType::F32, name);
}

ValueId Graph::attention(const std::vector<ValueId>& inputs, const AttentionParams& params, const std::string& name) {
    for (ValueId id : inputs) check_id(id, "attention input");
    const size_t n_main = params.packed_qkv ? 1 : 3;
    const size_t n_per_head = (params.cosine ? 1 : 0) + (params.has_head_scale ? 1 : 0);
    const size_t expected = n_main + n_per_head + (params.has_key_mask ? 1 : 0);
    if (inputs.size() != expected) fail("attention ", name, ": expected ", expected, " inputs, got ", inputs.size());
    if (params.heads < 1) fail("attention ", name, ": heads must be >= 1");
    Shape out;
    int64_t width = 0;
    if (params.packed_qkv) {
        const Shape& s = shape(inputs[0]);
        if (s.rank() != 3 || s[2] % 3 != 0) fail("attention ", name, ": packed qkv ", s, " is not [B, L, 3*W]");
        width = s[2] / 3;
        out = Shape{s[0], s[1], width};
    } else {
        const Shape& q = shape(inputs[0]);
        const Shape& k = shape(inputs[1]);
        const Shape& v = shape(inputs[2]);
        if (q.rank() != 3 || k != v || k.rank() != 3 || q[2] != k[2] || (q[0] != k[0] && q[0] != 1))
            fail("attention ", name, ": q ", q, ", k ", k, ", v ", v, " do not agree");
        width = q[2];
        out = Shape{k[0], q[1], width};
        if (params.causal && q[1] != k[1]) fail("attention ", name, ": causal mask needs Lq == Lk");
    }
    if (width % params.heads != 0)
        fail("attention ", name, ": width ", width, " not divisible by ", params.heads, " heads");
    for (size_t i = n_main; i < n_main + n_per_head; ++i) {
        if (shape(inputs[i]) != Shape{params.heads})
            fail("attention ", name, ": per-head input ", shape(inputs[i]), " is not [", params.heads, "]");
    }
    if (params.has_key_mask) {
        const ValueId mask = inputs.back();
        const int64_t kv_len = params.packed_qkv ? out[1] : shape(inputs[1])[1];
        if (shape(mask) != Shape{out[0], kv_len} || value(mask).dtype != DType::I32)
            fail("attention ", name, ": key mask ", shape(mask), " ", dtype_name(value(mask).dtype), " is not i32 [",
                 out[0], ", ", kv_len, "]");
    }
    return add_node(OpKind::Attention, inputs, params, out, DType::F32, name);
}

ValueId Graph::unary(ValueId x, Activation act, float alpha, float beta, const std::string& name) {
    check_id(x, "unary input");
    return add_node(OpKind::Unary, {x}, UnaryParams{act, alpha, beta}, shape(x), DType::F32, name);
}

ValueId Graph::binary(BinaryOp op, ValueId a, ValueId b, const std::string& name) {
    check_id(a, "binary input");
    check_id(b, "binary input");
    const Shape& as = shape(a);
    const Shape& bs = shape(b);
    bool ok = bs.rank() <= as.rank();
    for (int i = 1; ok && i <= bs.rank(); ++i) ok = bs[-i] == as[-i] || bs[-i] == 1;
    if (!ok) fail("binary ", name, ": ", bs, " does not broadcast to ", as);
    return add_node(OpKind::Binary, {a, b}, BinaryParams{op}, as, DType::F32, name);
}

ValueId Graph::embedding(ValueId ids, ValueId table, const std::string& name) {
    check_id(ids, "embedding ids");
    check_id(table, "embedding table");
    if (value(ids).dtype != DType::I32) fail("embedding ", name, ": ids must be i32");
    if (shape(table).rank() != 2) fail("embedding ", name, ": table ", shape(table), " is not [V, W]");
    std::vector<int64_t> dims = shape(ids).dims();
    dims.push_back(shape(table)[1]);
    return add_node(OpKind::Embedding, {ids, table}, NoParams{}, Shape(dims), DType::F32, name);
}

ValueId Graph::concat(const std::vector<ValueId>& inputs, int axis, const std::string& name) {
    if (inputs.empty()) fail("concat ", name, ": no inputs");
    for (ValueId id : inputs) check_id(id, "concat input");
    const int rank = shape(inputs[0]).rank();
    axis = axis < 0 ? axis + rank : axis;
    if (axis < 0 || axis >= rank) fail("concat ", name, ": axis out of range");
    std::vector<int64_t> out(static_cast<size_t>(rank), 1);
    out[static_cast<size_t>(axis)] = 0;
    for (ValueId id : inputs) {
        const Shape& s = shape(id);
        if (s.rank() != rank) fail("concat ", name, ": inputs of different rank");
        out[static_cast<size_t>(axis)] += s[axis];
        for (int d = 0; d < rank; ++d) {
            if (d != axis) out[static_cast<size_t>(d)] = std::max(out[static_cast<size_t>(d)], s[d]);
        }
    }
    for (ValueId id : inputs) {
        for (int d = 0; d < rank; ++d) {
            const int64_t n = shape(id)[d];
            if (d != axis && n != 1 && n != out[static_cast<size_t>(d)])
                fail("concat ", name, ": input ", shape(id), " does not broadcast to ", Shape(out));
        }
    }
    return add_node(OpKind::Concat, inputs, ConcatParams{axis}, Shape(out), DType::F32, name);
}

ValueId Graph::reshape(ValueId x, Shape new_shape, const std::string& name) {
    check_id(x, "reshape input");
    if (new_shape.numel() != shape(x).numel()) fail("reshape ", name, ": ", shape(x), " to ", new_shape);
    ValueId out = add_node(OpKind::Reshape, {x}, NoParams{}, std::move(new_shape), value(x).dtype, name);
    values_[static_cast<size_t>(out)].alias_of = x;
    return out;
}

ValueId Graph::permute(ValueId x, std::vector<int> perm, const std::string& name) {
    check_id(x, "permute input");
    const Shape& xs = shape(x);
    std::vector<int> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    bool ok = static_cast<int>(perm.size()) == xs.rank();
    for (int i = 0; ok && i < xs.rank(); ++i) ok = sorted[static_cast<size_t>(i)] == i;
    if (!ok) fail("permute ", name, ": invalid permutation for ", xs);
    std::vector<int64_t> out;
    for (int p : perm) out.push_back(xs[p]);
    return add_node(OpKind::Permute, {x}, PermuteParams{std::move(perm)}, Shape(out), value(x).dtype, name);
}

ValueId Graph::token_pool(ValueId x, ValueId ids, const TokenPoolParams& params, const std::string& name) {
    check_id(x, "token_pool input");
    const Shape& xs = shape(x);
    if (xs.rank() != 3) fail("token_pool ", name, ": input ", xs, " is not [B, L, W]");
    std::vector<ValueId> inputs{x};
    if (token_pool_takes_ids(params.mode)) {
        check_id(ids, "token_pool ids");
        if (shape(ids) != Shape{xs[0], xs[1]} || value(ids).dtype != DType::I32)
            fail("token_pool ", name, ": ids (or mask) ", shape(ids), " do not match tokens ", xs);
        inputs.push_back(ids);
    }
    if (params.mode == PoolMode::Mean && (params.mean_start < 0 || params.mean_start >= xs[1]))
        fail("token_pool ", name, ": mean_start ", params.mean_start, " out of range for ", xs);
    return add_node(OpKind::TokenPool, std::move(inputs), params, Shape{xs[0], xs[2]}, DType::F32, name);
}

ValueId Graph::l2_normalize(ValueId x, const std::string& name) {
    check_id(x, "l2_normalize input");
    return add_node(OpKind::L2Normalize, {x}, NoParams{}, shape(x), DType::F32, name);
}

ValueId Graph::softmax(ValueId x, const std::string& name) {
    check_id(x, "softmax input");
    return add_node(OpKind::Softmax, {x}, NoParams{}, shape(x), DType::F32, name);
}

ValueId Graph::tanh(ValueId x, const std::string& name) {
    check_id(x, "tanh input");
    return add_node(OpKind::Tanh, {x}, NoParams{}, shape(x), DType::F32, name);
}

}  // namespace cliprt
