#include "cliprt/node_cost.h"

namespace cliprt {

namespace {

int64_t value_bytes(const Graph& graph, ValueId id, DType float_storage) {
    const Value& v = graph.value(id);
    const bool is_float = v.dtype == DType::F32 || v.dtype == DType::F16 || v.dtype == DType::BF16;
    return v.shape.numel() * static_cast<int64_t>(dtype_size(is_float ? float_storage : v.dtype));
}

int64_t attention_flops(const Graph& graph, const Node& node) {
    const auto& p = node.get<AttentionParams>();
    const Shape& out = graph.shape(node.output);  // [B, Lq, H*D]
    const Shape& first = graph.shape(node.inputs[0]);
    const int64_t lk = p.packed_qkv ? first[1] : graph.shape(node.inputs[1])[1];
    // H * D = width, so 4 * B * H * Lq * Lk * D = 4 * B * Lq * Lk * width.
    return 4 * out[0] * out[1] * lk * out[2];
}

}  // namespace

NodeCost node_cost(const Graph& graph, const Node& node, DType float_storage) {
    NodeCost cost;
    const int64_t out_numel = graph.shape(node.output).numel();
    const int64_t out_bytes = value_bytes(graph, node.output, float_storage);
    int64_t in_bytes = 0;
    for (ValueId id : node.inputs) in_bytes += value_bytes(graph, id, float_storage);
    cost.bytes = in_bytes + out_bytes;
    switch (node.op) {
        case OpKind::Linear: {
            const Shape& w = graph.shape(node.inputs[1]);  // [N, K]
            cost.flops = 2 * (out_numel / w[0]) * w[0] * w[1];
            break;
        }
        case OpKind::Conv2d:
        case OpKind::GroupedConv2d: {
            const Shape& w = graph.shape(node.inputs[1]);  // [O, I / groups, kh, kw]
            cost.flops = 2 * out_numel * w[1] * w[2] * w[3];
            break;
        }
        case OpKind::Attention:
            cost.flops = attention_flops(graph, node);
            break;
        case OpKind::AvgPool2d: {
            const auto& p = node.get<AvgPool2dParams>();
            cost.flops = out_numel * p.kernel_h * p.kernel_w;
            break;
        }
        case OpKind::LayerNorm:
        case OpKind::Unary:
        case OpKind::Binary:
        case OpKind::Softmax:
        case OpKind::L2Normalize:
        case OpKind::Tanh:
            cost.flops = graph.shape(node.inputs[0]).numel();
            break;
        case OpKind::TokenPool: {
            const PoolMode mode = node.get<TokenPoolParams>().mode;
            if (mode == PoolMode::Mean || mode == PoolMode::MaskedMean || mode == PoolMode::MaskedMax) {
                cost.flops = graph.shape(node.inputs[0]).numel();
            } else {
                // A gather of one row per batch item: the rows read, the ids, the rows written.
                cost.bytes = in_bytes - value_bytes(graph, node.inputs[0], float_storage) + 2 * out_bytes;
            }
            break;
        }
        case OpKind::Embedding:
            // A gather: the ids, the table rows read (as many as written), the output.
            cost.bytes = value_bytes(graph, node.inputs[0], float_storage) + 2 * out_bytes;
            break;
        case OpKind::Reshape:
            cost.bytes = 0;
            break;
        case OpKind::Concat:
        case OpKind::Permute:
            break;
    }
    return cost;
}

NodeCost graph_cost(const Graph& graph, DType float_storage) {
    NodeCost total;
    for (const Node& node : graph.nodes()) {
        const NodeCost cost = node_cost(graph, node, float_storage);
        total.flops += cost.flops;
        total.bytes += cost.bytes;
    }
    return total;
}

}  // namespace cliprt
