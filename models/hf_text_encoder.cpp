// Hugging Face BERT-style encoders (transformers' BertModel, RobertaModel, XLMRobertaModel) and
// open_clip's HFTextEncoder around them (hf_model.py: pooler, then projection).
//
// Embeddings: word + token type 0 + absolute position, then LayerNorm. open_clip and
// sentence-transformers pass no token_type_ids, so every token has type 0: its row is folded into
// the position rows once. Positions: BERT counts from 0; RoBERTa and XLM-R from pad_token_id + 1
// (create_position_ids_from_input_ids), which for right-padded text is the same table slice for
// every row (padding positions differ, but their keys are masked and pooling skips them).
// Encoder layers are post-norm: x = LN(x + attn(x)); x = LN(x + out(act(in(x)))), attention
// hides padding keys through the attention mask [B, L].
#include <algorithm>
#include <cmath>

#include "cliprt/error.h"
#include "models/towers.h"

namespace cliprt {

namespace {

// [rows_a + rows_b + ..., cols] from tensors of equal column count (q, k, v into one packed projection).
Tensor concat_rows(const std::vector<std::shared_ptr<const Tensor>>& parts) {
    const int64_t cols = parts[0]->numel() / parts[0]->shape()[0];
    int64_t rows = 0;
    for (const auto& p : parts) rows += p->shape()[0];
    Shape shape = parts[0]->shape();
    shape[0] = rows;
    Tensor out(shape, DType::F32);
    float* dst = out.f32();
    for (const auto& p : parts) {
        std::copy_n(p->f32(), p->numel(), dst);
        dst += p->shape()[0] * cols;
    }
    return out;
}

ValueId layer_norm_of(Graph& graph, ModelWeights& w, const std::string& name, ValueId x, int64_t width, double eps) {
    return graph.layer_norm(x, w.constant(graph, name + ".weight", {width}), w.constant(graph, name + ".bias", {width}),
                            static_cast<float>(eps), name);
}

ValueId dense(Graph& graph, ModelWeights& w, const std::string& name, ValueId x, int64_t out, int64_t in,
              Activation act = Activation::None, ValueId residual = -1) {
    return graph.linear(x, w.constant(graph, name + ".weight", {out, in}), w.constant(graph, name + ".bias", {out}),
                        act, residual, name);
}

}  // namespace

ValueId hf_encoder(Graph& graph, ModelWeights& w, const std::string& prefix, ValueId ids, ValueId mask,
                   const HfEncoderConfig& c) {
    const int64_t width = c.hidden_size;
    const int64_t length = graph.shape(ids)[1];
    if (length > c.max_tokens())
        fail("text input has ", length, " tokens, more than the ", c.max_tokens(), " positions of the ", c.model_type,
             " encoder");
    const std::string emb = prefix + "embeddings.";
    ValueId x = graph.embedding(ids, w.constant(graph, emb + "word_embeddings.weight", {c.vocab_size, width}),
                                emb + "word_embeddings");
    const std::string positions_key =
        emb + "position_embeddings[" + std::to_string(length) + "]+token_type_embeddings[0]";
    const ValueId positions = w.derived_constant(graph, positions_key, [&] {
        Tensor rows = slice_rows(*w.get(emb + "position_embeddings.weight", {c.max_position_embeddings, width}),
                                 c.position_offset(), length);
        const float* type0 = w.get(emb + "token_type_embeddings.weight", {c.type_vocab_size, width})->f32();
        float* dst = rows.f32();
        for (int64_t i = 0; i < length; ++i) {
            for (int64_t j = 0; j < width; ++j) dst[i * width + j] += type0[j];
        }
        return rows;
    });
    x = graph.binary(BinaryOp::Add, x, positions, emb + "position_embeddings");
    x = layer_norm_of(graph, w, emb + "LayerNorm", x, width, c.layer_norm_eps);

    AttentionParams attn;
    attn.heads = c.num_heads;
    attn.packed_qkv = true;
    attn.has_key_mask = true;
    attn.scale = 1.0f / std::sqrt(static_cast<float>(width / c.num_heads));
    for (int i = 0; i < c.num_layers; ++i) {
        const std::string layer = prefix + "encoder.layer." + std::to_string(i) + ".";
        const std::string self = layer + "attention.self.";
        const ValueId qkv_w = w.derived_constant(graph, self + "qkv.weight", [&] {
            return concat_rows({w.get(self + "query.weight", {width, width}),
                                w.get(self + "key.weight", {width, width}),
                                w.get(self + "value.weight", {width, width})});
        });
        const ValueId qkv_b = w.derived_constant(graph, self + "qkv.bias", [&] {
            return concat_rows({w.get(self + "query.bias", {width}), w.get(self + "key.bias", {width}),
                                w.get(self + "value.bias", {width})});
        });
        const ValueId qkv = graph.linear(x, qkv_w, qkv_b, Activation::None, -1, self + "qkv");
        const ValueId heads = graph.attention({qkv, mask}, attn, self + "attention");
        x = dense(graph, w, layer + "attention.output.dense", heads, width, width, Activation::None, x);
        x = layer_norm_of(graph, w, layer + "attention.output.LayerNorm", x, width, c.layer_norm_eps);
        const ValueId h = dense(graph, w, layer + "intermediate.dense", x, c.intermediate_size, width, c.act);
        x = dense(graph, w, layer + "output.dense", h, width, c.intermediate_size, Activation::None, x);
        x = layer_norm_of(graph, w, layer + "output.LayerNorm", x, width, c.layer_norm_eps);
    }
    return x;
}

ValueId hf_text_tower(Graph& graph, ModelWeights& w, const std::string& prefix, ValueId ids, ValueId mask,
                      const TextConfig& t, int embed_dim) {
    if (!t.hf) fail("text tower '", t.hf_model_name, "': no Hugging Face encoder config");
    const HfEncoderConfig& c = *t.hf;
    const std::string encoder = prefix + t.hf_weights_prefix;
    const int64_t width = c.hidden_size;
    ValueId x = hf_encoder(graph, w, encoder, ids, mask, c);

    TokenPoolParams pool;
    if (t.hf_pooler == "mean_pooler" || t.hf_pooler == "max_pooler") {
        pool.mode = t.hf_pooler == "mean_pooler" ? PoolMode::MaskedMean : PoolMode::MaskedMax;
        x = graph.token_pool(x, mask, pool, prefix + "pooler");
    } else {
        pool.mode = PoolMode::First;
        x = graph.token_pool(x, -1, pool, prefix + "pooler");
        // cls_pooler takes transformers' pooler_output (tanh(dense(first token))) when the model has a pooler.
        if (t.hf_pooler == "cls_pooler" && w.source().has(encoder + "pooler.dense.weight"))
            x = graph.tanh(dense(graph, w, encoder + "pooler.dense", x, width, width), encoder + "pooler.activation");
    }

    // open_clip builds the projections without bias whatever proj_bias says (hf_model.py).
    if (t.hf_proj == "linear") {
        x = graph.linear(x, w.constant(graph, prefix + "proj.weight", {embed_dim, width}), -1, Activation::None, -1,
                         prefix + "proj");
    } else if (t.hf_proj == "mlp") {
        const int64_t hidden = (width + embed_dim) / 2;
        x = graph.linear(x, w.constant(graph, prefix + "proj.0.weight", {hidden, width}), -1, Activation::Gelu, -1,
                         prefix + "proj.0");
        x = graph.linear(x, w.constant(graph, prefix + "proj.2.weight", {embed_dim, hidden}), -1, Activation::None, -1,
                         prefix + "proj.2");
    } else if (width != embed_dim) {
        fail("text tower '", t.hf_model_name, "': no projection (hf_proj_type null) needs the encoder width ", width,
             " to equal embed_dim ", embed_dim, " (open_clip has no projection to apply otherwise)");
    }
    if (t.normalize_output) x = graph.l2_normalize(x, prefix + "normalize");
    return x;
}

}  // namespace cliprt
