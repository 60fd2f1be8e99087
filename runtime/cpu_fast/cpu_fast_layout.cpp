#include "cpu_fast/cpu_fast_layout.h"

#include <algorithm>
#include <vector>

namespace cliprt::cpu_fast {

bool is_constant(const Graph& graph, ValueId id);

namespace {

const Node* producer(const Graph& graph, ValueId id) {
    for (const Node& node : graph.nodes())
        if (node.output == id) return &node;
    return nullptr;
}

// Every reader of `id` takes it channels-last; the outputs of the average pools among them are
// added to `pooled`.
bool readers_take_nhwc(const Graph& graph, ValueId id, WeightFormat weights, std::vector<ValueId>& pooled) {
    const std::vector<ValueId>& outputs = graph.outputs();
    if (std::find(outputs.begin(), outputs.end(), id) != outputs.end()) return false;
    for (const Node& node : graph.nodes()) {
        for (size_t slot = 0; slot < node.inputs.size(); ++slot) {
            if (node.inputs[slot] != id) continue;
            if (node.op == OpKind::AvgPool2d) {
                pooled.push_back(node.output);
                continue;
            }
            // A convolution's input is slot 0, its residual the last (weights and bias are constants).
            const bool conv_input =
                node.op == OpKind::Conv2d &&
                (slot == 0 || (node.get<Conv2dParams>().has_residual && slot + 1 == node.inputs.size()));
            if (!conv_input || !conv_runs_nhwc(graph, node, weights)) return false;
        }
    }
    return true;
}

}  // namespace

bool runs_as_linear(const Graph& graph, const Node& node) {
    const Conv2dParams p = node.get<Conv2dParams>();
    const Shape& w = graph.shape(node.inputs[1]);
    return p.stride_h == w[2] && p.stride_w == w[3] && p.pad_h == 0 && p.pad_w == 0 && w[2] * w[3] > 1 &&
           !p.has_residual;
}

bool conv_runs_nhwc(const Graph& graph, const Node& node, WeightFormat weights) {
    if (node.op != OpKind::Conv2d || !is_constant(graph, node.inputs[1])) return false;
    return weights != WeightFormat::Bf16Amx && !runs_as_linear(graph, node);
}

bool value_is_nhwc(const Graph& graph, ValueId id, WeightFormat weights) {
    // The value's tree of average pools: up to the value they pool, which a convolution must make...
    ValueId root = id;
    const Node* made_by = producer(graph, root);
    while (made_by != nullptr && made_by->op == OpKind::AvgPool2d) {
        root = made_by->inputs[0];
        made_by = producer(graph, root);
    }
    if (made_by == nullptr || !conv_runs_nhwc(graph, *made_by, weights)) return false;
    // ...and down to every reader of the tree's values, which must all take them channels-last.
    std::vector<ValueId> tree{root};
    for (size_t i = 0; i < tree.size(); ++i)
        if (!readers_take_nhwc(graph, tree[i], weights, tree)) return false;
    return true;
}

}  // namespace cliprt::cpu_fast
