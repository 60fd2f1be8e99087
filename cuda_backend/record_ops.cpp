// Turns every non-Linear node into the argument struct of its kernel (kernels.h) and a step that
// launches it; also says which nodes the kernels cannot take.
#include <cstdint>

#include "cliprt/error.h"
#include "cuda_buffer.h"
#include "cuda_ops.h"

namespace cliprt::cuda {

namespace {

// Row-major element strides of a shape.
std::vector<int64_t> strides_of(const Shape& shape) {
    std::vector<int64_t> strides(static_cast<size_t>(shape.rank()), 1);
    for (int d = shape.rank() - 2; d >= 0; --d)
        strides[static_cast<size_t>(d)] = strides[static_cast<size_t>(d) + 1] * shape[d + 1];
    return strides;
}

template <typename Args, typename Launcher>
Step one_kernel(const Args& a, Launcher launcher) {
    Step step;
    step.kernels = 1;
    step.enqueue = [a, launcher](cudaStream_t stream) { launcher(a, stream); };
    return step;
}

Step record_unary(const NodeArgs& args, Storage s) {
    const UnaryParams p = args.node.get<UnaryParams>();
    UnaryArgs a;
    a.x = device_data(args.inputs[0]);
    a.y = device_data(args.output);
    a.n = args.output.shape.numel();
    a.act = to_act(p.act);
    a.alpha = p.alpha;
    a.beta = p.beta;
    return one_kernel(a, [s](const UnaryArgs& u, cudaStream_t stream) { launch_unary(s, u, stream); });
}

Step record_binary(const NodeArgs& args, Storage s) {
    const Shape& as = args.inputs[0].shape;
    const Shape& bs = args.inputs[1].shape;
    BinaryArgs a;
    a.a = device_data(args.inputs[0]);
    a.b = device_data(args.inputs[1]);
    a.y = device_data(args.output);
    a.multiply = args.node.get<BinaryParams>().op == BinaryOp::Mul;
    a.rank = as.rank();
    // b's dims align with a's trailing dims; size-1 and missing dims broadcast (stride 0).
    int64_t stride = 1;
    for (int d = 0; d < as.rank(); ++d) a.dims[d] = as[d];
    for (int i = bs.rank() - 1; i >= 0; --i) {
        if (bs[i] != 1) a.b_strides[i + as.rank() - bs.rank()] = stride;
        stride *= bs[i];
    }
    return one_kernel(a, [s](const BinaryArgs& b, cudaStream_t stream) { launch_binary(s, b, stream); });
}

RowArgs rows_of(const NodeArgs& args) {
    const Shape& shape = args.inputs[0].shape;
    RowArgs a;
    a.x = device_data(args.inputs[0]);
    a.y = device_data(args.output);
    a.width = shape.rank() > 0 ? shape[-1] : 1;
    a.rows = row_count(shape);
    return a;
}

Step record_layer_norm(const NodeArgs& args, Storage s) {
    LayerNormArgs a;
    a.rows = rows_of(args);
    a.gamma = device_data(args.inputs[1]);
    a.beta = device_data(args.inputs[2]);
    a.eps = args.node.get<LayerNormParams>().eps;
    return one_kernel(a, [s](const LayerNormArgs& l, cudaStream_t stream) { launch_layer_norm(s, l, stream); });
}

Step record_attention(const NodeArgs& args, Storage s) {
    const AttentionParams p = args.node.get<AttentionParams>();
    AttentionArgs a;
    size_t next = 0;
    if (p.packed_qkv) {
        const Shape& qkv = args.inputs[next].shape;  // [B, L, 3W]: q, k and v side by side in each row
        const auto* base = static_cast<const unsigned char*>(device_data(args.inputs[next++]));
        const int64_t width = qkv[2] / 3;
        const uint64_t bytes = dtype_size(args.inputs[0].dtype);
        a.batch = static_cast<int>(qkv[0]);
        a.q_len = a.kv_len = static_cast<int>(qkv[1]);
        a.q_batch_stride = a.k_batch_stride = a.v_batch_stride = qkv[1] * qkv[2];
        a.q_row_stride = a.k_row_stride = a.v_row_stride = qkv[2];
        a.q = base;
        a.k = base + static_cast<uint64_t>(width) * bytes;
        a.v = base + static_cast<uint64_t>(2 * width) * bytes;
    } else {
        const Shape& qs = args.inputs[0].shape;
        const Shape& ks = args.inputs[1].shape;
        a.q = device_data(args.inputs[0]);
        a.k = device_data(args.inputs[1]);
        a.v = device_data(args.inputs[2]);
        next = 3;
        a.batch = static_cast<int>(ks[0]);
        a.q_len = static_cast<int>(qs[1]);
        a.kv_len = static_cast<int>(ks[1]);
        a.q_batch_stride = qs[0] == 1 ? 0 : qs[1] * qs[2];  // one q for the whole batch
        a.q_row_stride = qs[2];
        a.k_batch_stride = a.v_batch_stride = ks[1] * ks[2];
        a.k_row_stride = a.v_row_stride = ks[2];
    }
    a.heads = p.heads;
    a.head_dim = static_cast<int>(args.output.shape[2] / p.heads);
    a.logit_mult = p.cosine ? device_data(args.inputs[next++]) : nullptr;
    a.head_scale = p.has_head_scale ? device_data(args.inputs[next++]) : nullptr;
    a.out = device_data(args.output);
    a.causal = p.causal;
    a.cosine = p.cosine;
    a.scale = p.scale;
    return one_kernel(a, [s](const AttentionArgs& t, cudaStream_t stream) { launch_attention(s, t, stream); });
}

Step record_conv2d(const NodeArgs& args, Storage s) {
    const Conv2dParams p = args.node.get<Conv2dParams>();
    const Shape& xs = args.inputs[0].shape;
    const Shape& ws = args.inputs[1].shape;
    Conv2dArgs a;
    a.x = device_data(args.inputs[0]);
    a.w = device_data(args.inputs[1]);
    size_t next = 2;
    a.bias = p.has_bias ? device_data(args.inputs[next++]) : nullptr;
    a.residual = p.has_residual ? device_data(args.inputs[next++]) : nullptr;
    a.y = device_data(args.output);
    a.batch = static_cast<int>(xs[0]);
    a.in_channels = static_cast<int>(xs[1]);
    a.in_h = static_cast<int>(xs[2]);
    a.in_w = static_cast<int>(xs[3]);
    a.out_channels = static_cast<int>(ws[0]);
    a.kernel_h = static_cast<int>(ws[2]);
    a.kernel_w = static_cast<int>(ws[3]);
    a.stride_h = p.stride_h;
    a.stride_w = p.stride_w;
    a.pad_h = p.pad_h;
    a.pad_w = p.pad_w;
    a.out_h = static_cast<int>(args.output.shape[2]);
    a.out_w = static_cast<int>(args.output.shape[3]);
    a.act = to_act(p.act);
    return one_kernel(a, [s](const Conv2dArgs& c, cudaStream_t stream) { launch_conv2d(s, c, stream); });
}

Step record_avg_pool2d(const NodeArgs& args, Storage s) {
    const AvgPool2dParams p = args.node.get<AvgPool2dParams>();
    const Shape& xs = args.inputs[0].shape;
    AvgPool2dArgs a;
    a.x = device_data(args.inputs[0]);
    a.y = device_data(args.output);
    a.planes = xs[0] * xs[1];
    a.in_h = static_cast<int>(xs[2]);
    a.in_w = static_cast<int>(xs[3]);
    a.out_h = static_cast<int>(args.output.shape[2]);
    a.out_w = static_cast<int>(args.output.shape[3]);
    a.kernel_h = p.kernel_h;
    a.kernel_w = p.kernel_w;
    a.stride_h = p.stride_h;
    a.stride_w = p.stride_w;
    return one_kernel(a, [s](const AvgPool2dArgs& t, cudaStream_t stream) { launch_avg_pool2d(s, t, stream); });
}

Step record_embedding(const NodeArgs& args, Storage s) {
    const Shape& table = args.inputs[1].shape;
    EmbeddingArgs a;
    a.ids = static_cast<const int32_t*>(device_data(args.inputs[0]));
    a.table = device_data(args.inputs[1]);
    a.y = device_data(args.output);
    a.n = args.inputs[0].shape.numel();
    a.width = table[1];
    a.vocab = table[0];
    a.error_position = args.error_position;
    return one_kernel(a, [s](const EmbeddingArgs& e, cudaStream_t stream) { launch_embedding(s, e, stream); });
}

Step record_concat(const NodeArgs& args, Storage s) {
    const Shape& out = args.output.shape;
    const int axis = out.normalize_axis(args.node.get<ConcatParams>().axis);
    const std::vector<int64_t> y_strides = strides_of(out);
    std::vector<ConcatPartArgs> parts;
    int64_t axis_offset = 0;
    for (const TensorArg& input : args.inputs) {
        const Shape& in = input.shape;
        const std::vector<int64_t> x_strides = strides_of(in);
        ConcatPartArgs a;
        a.x = device_data(input);
        a.y = device_data(args.output);
        a.rank = out.rank();
        for (int d = 0; d < out.rank(); ++d) {
            const auto i = static_cast<size_t>(d);
            a.dims[d] = d == axis ? in[d] : out[d];
            a.x_strides[d] = in[d] == 1 && a.dims[d] != 1 ? 0 : x_strides[i];  // broadcast
            a.y_strides[d] = y_strides[i];
        }
        a.y_offset = axis_offset * y_strides[static_cast<size_t>(axis)];
        axis_offset += in[axis];
        parts.push_back(a);
    }
    Step step;
    step.kernels = static_cast<int>(parts.size());
    step.enqueue = [parts, s](cudaStream_t stream) {
        for (const ConcatPartArgs& part : parts) launch_concat_part(s, part, stream);
    };
    return step;
}

Step record_permute(const NodeArgs& args) {
    const Shape& in = args.inputs[0].shape;
    const std::vector<int>& perm = args.node.get<PermuteParams>().perm;
    const std::vector<int64_t> x_strides = strides_of(in);
    PermuteArgs a;
    a.x = device_data(args.inputs[0]);
    a.y = device_data(args.output);
    a.rank = in.rank();
    a.element_bytes = static_cast<int>(dtype_size(args.output.dtype));
    for (int d = 0; d < in.rank(); ++d) {
        const int source = perm[static_cast<size_t>(d)];
        a.dims[d] = in[source];
        a.x_strides[d] = x_strides[static_cast<size_t>(source)];
    }
    return one_kernel(a, [](const PermuteArgs& t, cudaStream_t stream) { launch_permute(t, stream); });
}

Step record_token_pool(const NodeArgs& args, Storage s) {
    const TokenPoolParams p = args.node.get<TokenPoolParams>();
    const Shape& xs = args.inputs[0].shape;
    TokenPoolArgs a;
    a.x = device_data(args.inputs[0]);
    a.ids = args.inputs.size() > 1 ? static_cast<const int32_t*>(device_data(args.inputs[1])) : nullptr;
    a.y = device_data(args.output);
    a.batch = static_cast<int>(xs[0]);
    a.len = static_cast<int>(xs[1]);
    a.width = static_cast<int>(xs[2]);
    a.mode = to_pool(p.mode);
    a.eos_id = p.eos_id;
    a.mean_start = p.mean_start;
    return one_kernel(a, [s](const TokenPoolArgs& t, cudaStream_t stream) { launch_token_pool(s, t, stream); });
}

}  // namespace

Step record_kernel_op(const NodeArgs& args) {
    const Storage s = args.context.storage;
    switch (args.node.op) {
        case OpKind::Reshape:
            return {};  // a view of its input's storage
        case OpKind::Unary:
            return record_unary(args, s);
        case OpKind::Binary:
            return record_binary(args, s);
        case OpKind::LayerNorm:
            return record_layer_norm(args, s);
        case OpKind::L2Normalize: {
            const RowArgs a = rows_of(args);
            return one_kernel(a, [s](const RowArgs& r, cudaStream_t stream) { launch_l2_normalize(s, r, stream); });
        }
        case OpKind::Softmax: {
            const RowArgs a = rows_of(args);
            return one_kernel(a, [s](const RowArgs& r, cudaStream_t stream) { launch_softmax(s, r, stream); });
        }
        case OpKind::Attention:
            return record_attention(args, s);
        case OpKind::Conv2d:
            return record_conv2d(args, s);
        case OpKind::AvgPool2d:
            return record_avg_pool2d(args, s);
        case OpKind::Embedding:
            return record_embedding(args, s);
        case OpKind::Concat:
            return record_concat(args, s);
        case OpKind::Permute:
            return record_permute(args);
        case OpKind::TokenPool:
            return record_token_pool(args, s);
        case OpKind::Linear:
            break;  // linear_cublaslt.cpp
    }
    fail("cuda backend: node '", args.node.name, "': no kernel for this op");
}

std::optional<std::string> unsupported_reason(const Graph& graph, const Node& node) {
    const int rank = graph.shape(node.output).rank();
    switch (node.op) {
        case OpKind::Attention: {
            const AttentionParams& p = node.get<AttentionParams>();
            const int64_t head_dim = graph.shape(node.output)[2] / p.heads;
            if (head_dim > kMaxAttentionHeadDim) {
                return "head dimension " + std::to_string(head_dim) + " exceeds the fused attention kernel's " +
                       std::to_string(kMaxAttentionHeadDim);
            }
            break;
        }
        case OpKind::Binary:
        case OpKind::Concat:
        case OpKind::Permute:
            if (rank > kMaxRank) {
                return "rank " + std::to_string(rank) + " exceeds the index kernels' " + std::to_string(kMaxRank);
            }
            break;
        default:
            break;
    }
    return std::nullopt;
}

}  // namespace cliprt::cuda
