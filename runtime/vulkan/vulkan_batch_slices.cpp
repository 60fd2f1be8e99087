#include "vulkan/vulkan_batch_slices.h"

#include <numeric>

namespace cliprt::vk {

std::vector<bool> batch_operands(const Graph& graph, const Node& node) {
    const Shape& out = graph.shape(node.output);
    if (out.rank() < 2 || out[0] < 2) return {};
    switch (node.op) {
        case OpKind::Conv2d:
        case OpKind::GroupedConv2d:
        case OpKind::AvgPool2d:
        case OpKind::LayerNorm:
        case OpKind::Attention:
        case OpKind::Unary:
        case OpKind::Binary:
        case OpKind::TokenPool:
        case OpKind::L2Normalize:
        case OpKind::Softmax:
        case OpKind::Tanh:
            break;
        case OpKind::Permute:
            if (node.get<PermuteParams>().perm.at(0) != 0) return {};
            break;
        case OpKind::Concat: {
            const int axis = node.get<ConcatParams>().axis;
            if (axis == 0 || axis == -out.rank()) return {};
            break;
        }
        default:  // Linear and Embedding bind pieces of their own; Reshape moves no data
            return {};
    }
    std::vector<ValueId> values = node.inputs;
    values.push_back(node.output);
    std::vector<bool> sliced(values.size(), false);
    const bool conv = node.op == OpKind::Conv2d || node.op == OpKind::GroupedConv2d;
    const bool elementwise = node.op == OpKind::Binary || node.op == OpKind::Concat;
    for (size_t i = 0; i < values.size(); ++i) {
        const Value& v = graph.value(values[i]);
        // Batch-major operands lead with the batch, constants among them (a key mask, a tensor
        // added element by element); a convolution's weights do not, even where their leading
        // dimension happens to equal the batch, nor do lower-rank operands of an element-wise op
        // (they broadcast) or per-head and per-channel vectors (rank 1).
        sliced[i] = v.shape.rank() >= 2 && v.shape[0] == out[0] && !(conv && v.kind == ValueKind::Constant) &&
                    !(elementwise && v.shape.rank() != out.rank());
    }
    return sliced;
}

int64_t batch_rows_per_slice(const std::vector<OperandBytes>& operands, int64_t batch, uint64_t max_binding,
                             uint64_t alignment) {
    int64_t rows = batch;
    int64_t step = 1;  // every slice's first row times a sliced operand's row bytes is aligned
    for (const OperandBytes& o : operands) {
        if (!o.sliced) {
            if (o.bytes > max_binding) return 0;
            continue;
        }
        if (o.bytes == 0) continue;
        rows = std::min<int64_t>(rows, static_cast<int64_t>(max_binding / o.bytes));
        step = std::lcm(step, static_cast<int64_t>(alignment / std::gcd(alignment, o.bytes)));
    }
    if (rows >= batch) return batch;
    return rows / step * step;
}

NodeArgs batch_slice(const NodeArgs& a, const std::vector<bool>& sliced, int64_t first, int64_t count) {
    NodeArgs s{a.node, a.inputs, a.output};
    const auto cut = [&](TensorArg& t) {
        const uint64_t row_bytes = static_cast<uint64_t>(t.shape.numel() / t.shape[0]) * dtype_size(t.dtype);
        std::vector<int64_t> dims = t.shape.dims();
        dims[0] = count;
        t.offset += static_cast<uint64_t>(first) * row_bytes;
        t.shape = Shape(dims);
    };
    for (size_t i = 0; i < s.inputs.size(); ++i)
        if (sliced[i]) cut(s.inputs[i]);
    if (sliced.back()) cut(s.output);
    return s;
}

}  // namespace cliprt::vk
