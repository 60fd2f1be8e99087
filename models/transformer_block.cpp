#include "models/transformer_block.h"

#include <cmath>

#include "cliprt/error.h"

namespace cliprt {

ValueId layer_norm(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId x, int64_t width,
                   float eps) {
    return graph.layer_norm(x, weights.constant(graph, prefix + ".weight", {width}),
                            weights.constant(graph, prefix + ".bias", {width}), eps, prefix);
}

namespace {

// A Linear whose output is multiplied by LayerScale's gamma, folded into the weight and bias.
ValueId scaled_linear(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId x, int64_t out,
                      int64_t in, const std::string& gamma_name, ValueId residual) {
    const std::string w = prefix + ".weight", b = prefix + ".bias";
    if (gamma_name.empty()) {
        return graph.linear(x, weights.constant(graph, w, {out, in}), weights.constant(graph, b, {out}),
                            Activation::None, residual, prefix);
    }
    auto gamma = weights.get(gamma_name, {out});
    ValueId weight = weights.derived_constant(graph, w + "*" + gamma_name, [&] {
        return scale_rows(*weights.get(w, {out, in}), *gamma);
    });
    ValueId bias = weights.derived_constant(graph, b + "*" + gamma_name,
                                            [&] { return scale_rows(*weights.get(b, {out}), *gamma); });
    return graph.linear(x, weight, bias, Activation::None, residual, prefix);
}

// Rows [part*W, (part+1)*W) of the packed in_proj weight or bias.
ValueId in_proj_part(Graph& graph, ModelWeights& weights, const std::string& name, const Shape& shape, int part) {
    const int64_t width = shape[0] / 3;
    return weights.derived_constant(graph, name + "[" + std::to_string(part) + "]",
                                    [&] { return slice_rows(*weights.get(name, shape), part * width, width); });
}

}  // namespace

ValueId transformer_block(Graph& graph, ModelWeights& weights, const std::string& prefix, ValueId x, int heads,
                          const BlockConfig& block, bool causal, double mlp_ratio, bool first_token_only) {
    const std::string attn = prefix + ".attn";
    const float eps = block.ln_eps;
    ValueId h = layer_norm(graph, weights, prefix + ".ln_1", x, graph.shape(x)[2], eps);
    // Only the first token goes on: its query, and the block's per-token rest, for it alone; the
    // keys and values still come from every token.
    const ValueId all_tokens = h;
    if (first_token_only) {
        if (causal) fail(prefix, ": a causal block cannot keep the first token only");
        TokenPoolParams first;
        first.mode = PoolMode::First;
        const Shape one{graph.shape(x)[0], 1, graph.shape(x)[2]};
        x = graph.reshape(graph.token_pool(x, -1, first, prefix + ".first_token"), one);
        h = graph.reshape(graph.token_pool(h, -1, first, prefix + ".ln_1.first_token"), one);
    }
    const Shape xs = graph.shape(x);
    const int64_t width = xs[2];
    const int64_t head_dim = width / heads;
    AttentionParams params;
    params.heads = heads;
    params.causal = causal;
    params.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
    std::vector<ValueId> inputs;
    const Shape in_w{3 * width, width}, in_b{3 * width};
    if (!block.qk_norm && !first_token_only) {
        params.packed_qkv = true;
        inputs.push_back(graph.linear(h, weights.constant(graph, attn + ".in_proj_weight", in_w),
                                      weights.constant(graph, attn + ".in_proj_bias", in_b), Activation::None, -1,
                                      attn + ".in_proj"));
    } else {
        // q and k get a LayerNorm over each head's channels: project separately, norm as [B, L, H, D].
        // (Also when only the first token's query is wanted.)
        for (int part = 0; part < 3; ++part) {
            const ValueId in = part == 0 ? h : all_tokens;
            ValueId p = graph.linear(in, in_proj_part(graph, weights, attn + ".in_proj_weight", in_w, part),
                                     in_proj_part(graph, weights, attn + ".in_proj_bias", in_b, part), Activation::None,
                                     -1, attn + ".in_proj." + "qkv"[part]);
            if (part < 2 && block.qk_norm) {
                const Shape ps = graph.shape(p);
                ValueId split = graph.reshape(p, Shape{ps[0], ps[1], heads, head_dim});
                split = layer_norm(graph, weights, attn + (part == 0 ? ".ln_q" : ".ln_k"), split, head_dim, eps);
                p = graph.reshape(split, ps);
            }
            inputs.push_back(p);
        }
    }
    if (block.scaled_cosine_attn) {
        params.cosine = true;
        // open_clip: exp(clamp(logit_scale, max=log(1/0.01))), per head.
        inputs.push_back(weights.derived_constant(graph, attn + ".logit_scale(exp)", [&] {
            Tensor t = weights.get(attn + ".logit_scale", {heads, 1, 1})->reshaped(Shape{heads});
            for (int i = 0; i < heads; ++i)
                t.f32()[i] = std::exp(std::min(t.f32()[i], static_cast<float>(std::log(100.0))));
            return t;
        }));
    }
    if (block.scale_heads) {
        params.has_head_scale = true;
        inputs.push_back(weights.derived_constant(graph, attn + ".head_scale", [&] {
            return weights.get(attn + ".head_scale", {heads, 1, 1})->reshaped(Shape{heads});
        }));
    }
    ValueId a = graph.attention(inputs, params, attn);
    if (block.scale_attn_inner) a = layer_norm(graph, weights, attn + ".ln_inner", a, width, eps);

    const std::string gamma1 = block.ls_init_value ? prefix + ".ls_1.gamma" : "";
    const std::string gamma2 = block.ls_init_value ? prefix + ".ls_2.gamma" : "";
    if (!block.scale_attn) {
        x = scaled_linear(graph, weights, attn + ".out_proj", a, width, width, gamma1, x);
    } else {
        // x + ls_1(ln_attn(out_proj(a))): gamma folds into ln_attn's affine parameters.
        ValueId o = scaled_linear(graph, weights, attn + ".out_proj", a, width, width, "", -1);
        const std::string ln = prefix + ".ln_attn";
        if (gamma1.empty()) {
            o = layer_norm(graph, weights, ln, o, width, eps);
        } else {
            auto gamma = weights.get(gamma1, {width});
            ValueId g = weights.derived_constant(
                graph, ln + ".weight*gamma", [&] { return scale_rows(*weights.get(ln + ".weight", {width}), *gamma); });
            ValueId b = weights.derived_constant(
                graph, ln + ".bias*gamma", [&] { return scale_rows(*weights.get(ln + ".bias", {width}), *gamma); });
            o = graph.layer_norm(o, g, b, eps, ln);
        }
        x = graph.binary(BinaryOp::Add, x, o, prefix + ".attn_residual");
    }

    const int64_t mlp_width = static_cast<int64_t>(static_cast<double>(width) * mlp_ratio);
    h = layer_norm(graph, weights, prefix + ".ln_2", x, width, eps);
    h = graph.linear(h, weights.constant(graph, prefix + ".mlp.c_fc.weight", {mlp_width, width}),
                     weights.constant(graph, prefix + ".mlp.c_fc.bias", {mlp_width}), block.act, -1,
                     prefix + ".mlp.c_fc");
    if (block.scale_fc) h = layer_norm(graph, weights, prefix + ".mlp.ln", h, mlp_width, eps);
    return scaled_linear(graph, weights, prefix + ".mlp.c_proj", h, width, mlp_width, gamma2, x);
}

}  // namespace cliprt
