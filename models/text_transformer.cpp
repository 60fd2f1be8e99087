// open_clip's text tower (CLIP.encode_text / TextTransformer in transformer.py).
#include "cliprt/error.h"
#include "models/towers.h"
#include "models/transformer_block.h"

namespace cliprt {

TokenPoolParams text_pool(const TextConfig& c) {
    TokenPoolParams pool;
    if (c.pool_type == "first") {
        pool.mode = PoolMode::First;
    } else if (c.pool_type == "last") {
        pool.mode = PoolMode::Last;
    } else if (c.pool_type == "argmax") {
        pool.mode = PoolMode::Argmax;
    } else {
        pool.mode = PoolMode::Eos;
        pool.eos_id = c.eos_id;
    }
    return pool;
}

ValueId text_transformer(Graph& graph, ModelWeights& w, const std::string& prefix, ValueId ids, const TextConfig& c,
                         int embed_dim) {
    const int64_t width = c.width;
    const int64_t length = graph.shape(ids)[1];
    if (length < 1 || length > c.context_length)
        fail("text input has ", length, " tokens, the model's context is ", c.context_length);
    ValueId x = graph.embedding(ids, w.constant(graph, prefix + "token_embedding.weight", {c.vocab_size, width}),
                                prefix + "token_embedding");
    // A shorter input is the context's first tokens (ClipModel::text_length_needed): the first
    // rows of the positional embedding.
    const std::string pos_name = prefix + "positional_embedding";
    const ValueId pos = length == c.context_length
                            ? w.constant(graph, pos_name, {length, width})
                            : w.derived_constant(graph, pos_name + "[:" + std::to_string(length) + "]", [&] {
                                  return slice_rows(*w.get(pos_name, {c.context_length, width}), 0, length);
                              });
    x = graph.binary(BinaryOp::Add, x, pos, pos_name);
    for (int i = 0; i < c.layers; ++i) {
        x = transformer_block(graph, w, prefix + "transformer.resblocks." + std::to_string(i), x, c.heads, c.block,
                              !c.no_causal_mask, c.mlp_ratio);
    }
    x = layer_norm(graph, w, prefix + "ln_final", x, width, c.block.ln_eps);

    const TokenPoolParams pool = text_pool(c);
    x = graph.token_pool(x, token_pool_takes_ids(pool.mode) ? ids : -1, pool, prefix + "pool");

    if (c.proj_type == "none" || embed_dim <= 0) return x;
    if (c.proj_bias) {  // nn.Linear(width, embed_dim)
        return graph.linear(x, w.constant(graph, prefix + "text_projection.weight", {embed_dim, width}),
                            w.constant(graph, prefix + "text_projection.bias", {embed_dim}), Activation::None, -1,
                            prefix + "text_projection");
    }
    ValueId proj = w.derived_constant(graph, prefix + "text_projection^T", [&] {
        return transpose_2d(*w.get(prefix + "text_projection", {width, embed_dim}));
    });
    return graph.linear(x, proj, -1, Activation::None, -1, prefix + "text_projection");
}

}  // namespace cliprt
