// open_clip's VisionTransformer (transformer.py), including the CoCa attentional pooler.
#include <cmath>

#include "cliprt/error.h"
#include "models/towers.h"
#include "models/transformer_block.h"

namespace cliprt {

namespace {

ValueId pool_tokens(Graph& graph, ValueId x, const std::string& pool_type, const std::string& name) {
    if (pool_type == "none") return x;
    TokenPoolParams p;
    if (pool_type == "avg") {
        p.mode = PoolMode::Mean;
        p.mean_start = 1;  // x[:, 1:].mean(dim=1)
    } else {
        p.mode = PoolMode::First;
    }
    return graph.token_pool(x, -1, p, name);
}

// AttentionalPooler: learned queries attend to ln_k(x); nn.MultiheadAttention with kdim = vdim = width.
ValueId attentional_pooler(Graph& graph, ModelWeights& w, const std::string& prefix, ValueId x, const VisionConfig& c,
                           int64_t d_model) {
    const int64_t width = c.width;
    const int64_t queries = c.attn_pooler_queries;
    const float eps = 1e-5f;  // open_clip builds the pooler's norms without norm_kwargs
    ValueId k_in = layer_norm(graph, w, prefix + ".ln_k", x, width, eps);
    ValueId query = w.constant(graph, prefix + ".query", {queries, d_model});
    ValueId q_in =
        graph.reshape(layer_norm(graph, w, prefix + ".ln_q", query, d_model, eps), Shape{1, queries, d_model});

    const std::string attn = prefix + ".attn";
    ValueId proj[3];
    const Shape bias_shape{3 * d_model};
    for (int part = 0; part < 3; ++part) {
        const int64_t in = part == 0 ? d_model : width;
        ValueId weight;
        if (d_model == width) {  // packed in_proj_weight
            weight = w.derived_constant(graph, attn + ".in_proj_weight[" + std::to_string(part) + "]", [&] {
                return slice_rows(*w.get(attn + ".in_proj_weight", {3 * d_model, d_model}), part * d_model, d_model);
            });
        } else {
            const char* names[3] = {".q_proj_weight", ".k_proj_weight", ".v_proj_weight"};
            weight = w.constant(graph, attn + names[part], {d_model, in});
        }
        ValueId bias = w.derived_constant(graph, attn + ".in_proj_bias[" + std::to_string(part) + "]", [&] {
            return slice_rows(*w.get(attn + ".in_proj_bias", bias_shape), part * d_model, d_model);
        });
        proj[part] = graph.linear(part == 0 ? q_in : k_in, weight, bias, Activation::None, -1,
                                  attn + ".in_proj[" + std::to_string(part) + "]");
    }
    AttentionParams p;
    p.heads = c.attn_pooler_heads;
    if (d_model % p.heads != 0) fail(prefix, ": width ", d_model, " not divisible by ", p.heads, " pooler heads");
    p.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d_model / p.heads)));
    ValueId a = graph.attention({proj[0], proj[1], proj[2]}, p, attn);
    return graph.linear(a, w.constant(graph, attn + ".out_proj.weight", {d_model, d_model}),
                        w.constant(graph, attn + ".out_proj.bias", {d_model}), Activation::None, -1,
                        attn + ".out_proj");
}

}  // namespace

ValueId vision_transformer(Graph& graph, ModelWeights& w, const std::string& prefix, ValueId image,
                           const VisionConfig& c, int embed_dim) {
    // The parsers check these; a config built in code must not reach the divisions below either.
    if (c.width <= 0 || c.head_width <= 0 || c.patch_size <= 0 || c.image_size <= 0 || c.image_width <= 0)
        fail(prefix, ": width ", c.width, ", head_width ", c.head_width, ", patch_size ", c.patch_size,
             " and image_size ", c.image_size, "x", c.image_width, " must be positive");
    const int64_t width = c.width;
    const int64_t grid_h = c.image_size / c.patch_size, grid_w = c.image_width / c.patch_size;
    const int64_t tokens = grid_h * grid_w + 1;
    const int64_t batch = graph.shape(image)[0];
    const float eps = c.block.ln_eps;
    if (width % c.head_width != 0) fail(prefix, ": width ", width, " is not a multiple of head_width ", c.head_width);
    const int heads = static_cast<int>(width / c.head_width);

    Conv2dParams patch;
    patch.stride_h = patch.stride_w = c.patch_size;
    ValueId x = graph.conv2d(image, w.constant(graph, prefix + "conv1.weight", {width, 3, c.patch_size, c.patch_size}),
                             -1, patch, -1, prefix + "conv1");
    x = graph.reshape(x, Shape{batch, width, grid_h * grid_w});  // row-major patches
    x = graph.permute(x, {0, 2, 1}, prefix + "patches");
    ValueId cls = w.derived_constant(graph, prefix + "class_embedding[1,1,W]", [&] {
        return w.get(prefix + "class_embedding", {width})->reshaped(Shape{1, 1, width});
    });
    x = graph.concat({cls, x}, 1, prefix + "tokens");
    x = graph.binary(BinaryOp::Add, x, w.constant(graph, prefix + "positional_embedding", {tokens, width}),
                     prefix + "positional_embedding");
    if (!c.no_ln_pre) x = layer_norm(graph, w, prefix + "ln_pre", x, width, eps);
    // A tower that pools its class token needs the last block's output at that token alone (ln_post
    // works per token): the other 49 of ViT-B-32's 50 would be computed for nothing.
    const bool class_token_only = !c.attentional_pool && c.pool_type != "avg" && c.pool_type != "none";
    for (int i = 0; i < c.layers; ++i) {
        x = transformer_block(graph, w, prefix + "transformer.resblocks." + std::to_string(i), x, heads, c.block, false,
                              c.mlp_ratio, class_token_only && i + 1 == c.layers);
    }

    int64_t pool_dim = width;
    if (c.attentional_pool) {
        pool_dim = embed_dim;
        x = attentional_pooler(graph, w, prefix + "attn_pool", x, c, pool_dim);
        x = layer_norm(graph, w, prefix + "ln_post", x, pool_dim, eps);
        x = pool_tokens(graph, x, c.pool_type, prefix + "pool");
    } else if (c.final_ln_after_pool) {
        x = pool_tokens(graph, x, c.pool_type, prefix + "pool");
        x = layer_norm(graph, w, prefix + "ln_post", x, pool_dim, eps);
    } else {
        x = layer_norm(graph, w, prefix + "ln_post", x, pool_dim, eps);
        x = pool_tokens(graph, x, c.pool_type, prefix + "pool");
    }
    // open_clip computes x @ proj with proj [pool_dim, embed_dim]; a Linear wants [embed_dim, pool_dim].
    ValueId proj = w.derived_constant(graph, prefix + "proj^T", [&] {
        return transpose_2d(*w.get(prefix + "proj", {pool_dim, embed_dim}));
    });
    return graph.linear(x, proj, -1, Activation::None, -1, prefix + "proj");
}

}  // namespace cliprt
