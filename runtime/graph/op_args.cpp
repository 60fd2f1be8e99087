#include "cliprt/op_args.h"

#include "cliprt/error.h"

namespace cliprt {

namespace {

// The optional inputs follow the required ones in the order graph.h documents; `next` walks them.
const TensorArg* optional_input(const NodeArgs& args, bool present, size_t& next) {
    if (!present) return nullptr;
    if (next >= args.inputs.size()) fail("node '", args.node.name, "': ", op_name(args.node.op), " lacks an input");
    return &args.inputs[next++];
}

}  // namespace

NodeArgs gather_node_args(const Node& node, const std::vector<TensorArg>& args) {
    NodeArgs out{node, {}, args.at(static_cast<size_t>(node.output))};
    out.inputs.reserve(node.inputs.size());
    for (ValueId in : node.inputs) out.inputs.push_back(args.at(static_cast<size_t>(in)));
    return out;
}

LinearView linear_view(const NodeArgs& args) {
    const LinearParams p = args.node.get<LinearParams>();
    size_t next = 2;
    const TensorArg* bias = optional_input(args, p.has_bias, next);
    const TensorArg* residual = optional_input(args, p.has_residual, next);
    const Shape& ws = args.inputs[1].shape;
    return {p, args.inputs[0], args.inputs[1], bias, residual, row_count(args.inputs[0].shape), ws[0], ws[1]};
}

Conv2dView conv2d_view(const NodeArgs& args) {
    const Conv2dParams p = args.node.get<Conv2dParams>();
    size_t next = 2;
    const TensorArg* bias = optional_input(args, p.has_bias, next);
    const TensorArg* residual = optional_input(args, p.has_residual, next);
    const Shape& xs = args.inputs[0].shape;
    const Shape& ws = args.inputs[1].shape;
    const Shape& ys = args.output.shape;
    return {p,     args.inputs[0], args.inputs[1], bias,  residual, xs[0], xs[1],
            xs[2], xs[3],          ws[0],          ws[2], ws[3],    ys[2], ys[3]};
}

AttentionView attention_view(const NodeArgs& args) {
    const AttentionParams p = args.node.get<AttentionParams>();
    const int64_t width = args.output.shape[2];
    AttentionView view{p,
                       {},
                       {},
                       {},
                       nullptr,
                       nullptr,
                       nullptr,
                       args.output.shape[0],
                       args.output.shape[1],
                       0,
                       p.heads,
                       width / p.heads,
                       width};
    size_t next = 0;
    if (p.packed_qkv) {
        const TensorArg* qkv = &args.inputs[next++];
        const Shape& s = qkv->shape;  // [B, L, 3W]
        view.kv_len = s[1];
        view.q = {qkv, 0, s[1] * s[2], s[2]};
        view.k = {qkv, width, s[1] * s[2], s[2]};
        view.v = {qkv, 2 * width, s[1] * s[2], s[2]};
    } else {
        const TensorArg* q = &args.inputs[next++];
        const TensorArg* k = &args.inputs[next++];
        const TensorArg* v = &args.inputs[next++];
        const Shape& qs = q->shape;
        const Shape& ks = k->shape;
        view.kv_len = ks[1];
        view.q = {q, 0, qs[0] == 1 ? 0 : qs[1] * qs[2], qs[2]};  // q [1, Lq, W]: one q for the whole batch
        view.k = {k, 0, ks[1] * ks[2], ks[2]};
        view.v = {v, 0, v->shape[1] * v->shape[2], v->shape[2]};
    }
    view.logit_mult = optional_input(args, p.cosine, next);
    view.head_scale = optional_input(args, p.has_head_scale, next);
    view.key_mask = optional_input(args, p.has_key_mask, next);
    return view;
}

int64_t attention_head_dim(const Graph& graph, const Node& node) {
    return graph.shape(node.output)[2] / node.get<AttentionParams>().heads;
}

RowsView rows_view(const NodeArgs& args) {
    const Shape& s = args.inputs[0].shape;
    return {args.inputs[0], row_count(s), s.rank() > 0 ? s[-1] : 1};
}

TokenPoolView token_pool_view(const NodeArgs& args) {
    const TokenPoolParams p = args.node.get<TokenPoolParams>();
    size_t next = 1;
    const TensorArg* ids = optional_input(args, token_pool_takes_ids(p.mode), next);
    const Shape& xs = args.inputs[0].shape;
    return {p, args.inputs[0], ids, xs[0], xs[1], xs[2]};
}

}  // namespace cliprt
