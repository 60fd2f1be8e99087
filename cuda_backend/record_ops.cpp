// Turns every non-Linear node into the argument struct of its kernel (kernels.h) and a step that
// launches it; also says which nodes the kernels cannot take.
#include <cstdint>

#include "cliprt/error.h"
#include "cuda_buffer.h"
#include "cuda_ops.h"

namespace cliprt::cuda {

namespace {

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
    const std::vector<int64_t> b_strides = broadcast_strides(as, bs);
    for (int d = 0; d < as.rank(); ++d) {
        a.dims[d] = as[d];
        a.b_strides[d] = b_strides[static_cast<size_t>(d)];
    }
    return one_kernel(a, [s](const BinaryArgs& b, cudaStream_t stream) { launch_binary(s, b, stream); });
}

RowArgs rows_of(const NodeArgs& args) {
    const RowsView v = rows_view(args);
    RowArgs a;
    a.x = device_data(v.x);
    a.y = device_data(args.output);
    a.width = v.width;
    a.rows = v.rows;
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

// An operand's first element: the TensorArg's data plus the view's element offset.
const void* operand_data(const AttentionOperand& o) {
    const auto* base = static_cast<const unsigned char*>(device_data(*o.arg));
    return base + static_cast<uint64_t>(o.offset) * dtype_size(o.arg->dtype);
}

Step record_attention(const NodeArgs& args, Storage s) {
    const AttentionView v = attention_view(args);
    AttentionArgs a;
    a.q = operand_data(v.q);
    a.k = operand_data(v.k);
    a.v = operand_data(v.v);
    a.batch = static_cast<int>(v.batch);
    a.q_len = static_cast<int>(v.q_len);
    a.kv_len = static_cast<int>(v.kv_len);
    a.q_batch_stride = v.q.batch_stride;
    a.q_row_stride = v.q.row_stride;
    a.k_batch_stride = v.k.batch_stride;
    a.k_row_stride = v.k.row_stride;
    a.v_batch_stride = v.v.batch_stride;
    a.v_row_stride = v.v.row_stride;
    a.heads = static_cast<int>(v.heads);
    a.head_dim = static_cast<int>(v.head_dim);
    a.logit_mult = v.logit_mult ? device_data(*v.logit_mult) : nullptr;
    a.head_scale = v.head_scale ? device_data(*v.head_scale) : nullptr;
    a.key_mask = v.key_mask ? static_cast<const int32_t*>(device_data(*v.key_mask)) : nullptr;
    a.out = device_data(args.output);
    a.causal = v.params.causal;
    a.cosine = v.params.cosine;
    a.scale = v.params.scale;
    return one_kernel(a, [s](const AttentionArgs& t, cudaStream_t stream) { launch_attention(s, t, stream); });
}

Conv2dArgs conv2d_args(const NodeArgs& args) {
    const Conv2dView v = conv2d_view(args);
    const Conv2dParams& p = v.params;
    Conv2dArgs a;
    a.x = device_data(v.x);
    a.w = device_data(v.w);
    a.bias = v.bias ? device_data(*v.bias) : nullptr;
    a.residual = v.residual ? device_data(*v.residual) : nullptr;
    a.y = device_data(args.output);
    a.batch = static_cast<int>(v.batch);
    a.in_channels = static_cast<int>(v.in_channels);
    a.in_h = static_cast<int>(v.in_h);
    a.in_w = static_cast<int>(v.in_w);
    a.out_channels = static_cast<int>(v.out_channels);
    a.kernel_h = static_cast<int>(v.kernel_h);
    a.kernel_w = static_cast<int>(v.kernel_w);
    a.stride_h = p.stride_h;
    a.stride_w = p.stride_w;
    a.pad_h = p.pad_h;
    a.pad_w = p.pad_w;
    a.out_h = static_cast<int>(v.out_h);
    a.out_w = static_cast<int>(v.out_w);
    a.act = to_act(p.act);
    return a;
}

Step record_conv2d(const NodeArgs& args, Storage s) {
    return one_kernel(conv2d_args(args),
                      [s](const Conv2dArgs& c, cudaStream_t stream) { launch_conv2d(s, c, stream); });
}

Step record_grouped_conv2d(const NodeArgs& args, Storage s) {
    const int groups = args.node.get<Conv2dParams>().groups;
    return one_kernel(conv2d_args(args), [s, groups](const Conv2dArgs& c, cudaStream_t stream) {
        launch_grouped_conv2d(s, c, groups, stream);
    });
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
    const std::vector<int64_t> y_strides = row_major_strides(out);
    std::vector<ConcatPartArgs> parts;
    int64_t axis_offset = 0;
    for (const TensorArg& input : args.inputs) {
        const Shape& in = input.shape;
        const std::vector<int64_t> x_strides = row_major_strides(in);
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
    const std::vector<int64_t> x_strides = row_major_strides(in);
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
    const TokenPoolView v = token_pool_view(args);
    TokenPoolArgs a;
    a.x = device_data(v.x);
    a.ids = v.ids ? static_cast<const int32_t*>(device_data(*v.ids)) : nullptr;
    a.y = device_data(args.output);
    a.batch = static_cast<int>(v.batch);
    a.len = static_cast<int>(v.len);
    a.width = static_cast<int>(v.width);
    a.mode = to_pool(v.params.mode);
    a.eos_id = v.params.eos_id;
    a.mean_start = v.params.mean_start;
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
        case OpKind::Tanh: {
            const TanhArgs a{device_data(args.inputs[0]), device_data(args.output), args.output.shape.numel()};
            return one_kernel(a, [s](const TanhArgs& t, cudaStream_t stream) { launch_tanh(s, t, stream); });
        }
        case OpKind::Conv2d:
            return record_conv2d(args, s);
        case OpKind::GroupedConv2d:
            return record_grouped_conv2d(args, s);
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
            const int64_t head_dim = attention_head_dim(graph, node);
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
