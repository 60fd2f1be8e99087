// open_clip's TimmModel around timm's Eva (timm/models/eva.py), the trunk of the EVA01 / EVA02
// configs: the VisionTransformer's embedding (timm_vit_tokens), EvaBlocks (q / k / v with the
// rotary embedding of the patch tokens, the attention output's LayerNorm, SwiGLU or Mlp with its
// hidden LayerNorm, pre-norm or post-norm residuals), then the VisionTransformer's final norm, pool,
// fc_norm and heads (timm_vit_head).
//
// Everything is existing graph ops: the rotary embedding is x * cos + rot(x) * sin with cos / sin
// tables computed at load time and rot(x) (pairs (a, b) -> (-b, a)) a Linear over the channel
// pairs with the weight [[0, -1], [1, 0]] (each output is one input, negated or not: exact); the
// SwiGLU gate silu(g) = g * sigmoid(g) is a sigmoid and two products.
#include <cmath>

#include "cliprt/error.h"
#include "models/timm_archs.h"
#include "models/timm_layers.h"
#include "models/towers.h"
#include "models/transformer_block.h"

namespace cliprt {

namespace {

// The tables a block's rotary embedding reads, built once per graph.
struct Rope {
    ValueId cos = -1, sin = -1, pair_rot = -1;
};

// timm's apply_rot_embed (interleaved): x [B, L, width] -> x * cos + rot(x) * sin.
ValueId apply_rope(Graph& g, ValueId x, const Rope& r, const std::string& name) {
    const Shape s = g.shape(x);
    ValueId pairs = g.reshape(x, Shape{s[0], s[1] * s[2] / 2, 2});
    ValueId rotated = g.reshape(g.linear(pairs, r.pair_rot, -1, Activation::None, -1, name + ".rot"), s);
    return g.binary(BinaryOp::Add, g.binary(BinaryOp::Mul, x, r.cos, name + ".cos"),
                    g.binary(BinaryOp::Mul, rotated, r.sin, name + ".sin"), name);
}

// EvaAttention: q / k / v (k without bias), rope on the patch tokens, attention, the output's norm
// (scale_attn_inner). Returns the attention output before proj.
ValueId attention(Graph& g, ModelWeights& w, const std::string& p, ValueId h, const TimmEvaArch& a, const Rope* rope) {
    const int64_t width = a.width;
    const Shape wshape{width, width}, bshape{width};
    ValueId qkv[3];
    if (a.qkv_fused) {
        // One qkv Linear without bias; q_bias and v_bias are parameters (k_bias is a zero buffer).
        const Shape packed{3 * width, width};
        const char* bias[3] = {".attn.q_bias", nullptr, ".attn.v_bias"};
        for (int part = 0; part < 3; ++part) {
            qkv[part] = g.linear(h, timm_packed_part(g, w, p + ".attn.qkv.weight", packed, 3, part),
                                 a.qkv_bias && bias[part] ? w.constant(g, p + bias[part], bshape) : -1,
                                 Activation::None, -1, p + ".attn.qkv[" + std::to_string(part) + "]");
        }
    } else {
        const char* names[3] = {".attn.q_proj", ".attn.k_proj", ".attn.v_proj"};
        for (int part = 0; part < 3; ++part)
            qkv[part] = timm_linear(g, w, p + names[part], h, width, width, a.qkv_bias && part != 1);
    }
    if (rope != nullptr) {
        qkv[0] = apply_rope(g, qkv[0], *rope, p + ".attn.q_rope");
        qkv[1] = apply_rope(g, qkv[1], *rope, p + ".attn.k_rope");
    }
    AttentionParams params;
    params.heads = a.heads;
    params.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(width / a.heads)));
    ValueId o = g.attention({qkv[0], qkv[1], qkv[2]}, params, p + ".attn");
    if (a.attn_norm) o = layer_norm(g, w, p + ".attn.norm", o, width, a.norm_eps);
    return o;
}

// Mlp (fc1, act, norm, fc2) or SwiGLU (silu(fc1_g(x)) * fc1_x(x), norm, fc2) up to fc2's input.
ValueId mlp_hidden(Graph& g, ModelWeights& w, const std::string& p, ValueId h, const TimmEvaArch& a) {
    const int64_t width = a.width, hidden = a.mlp_hidden;
    ValueId m = -1;
    if (a.swiglu) {
        ValueId gate = timm_linear(g, w, p + ".mlp.fc1_g", h, hidden, width, true);
        ValueId x = timm_linear(g, w, p + ".mlp.fc1_x", h, hidden, width, true);
        ValueId silu = g.binary(BinaryOp::Mul, gate, g.unary(gate, Activation::Sigmoid, 1.0f, 0.0f, p + ".mlp.sigmoid"),
                                p + ".mlp.silu");
        m = g.binary(BinaryOp::Mul, silu, x, p + ".mlp.glu");
    } else {
        m = timm_linear(g, w, p + ".mlp.fc1", h, hidden, width, true, a.act);
    }
    if (a.mlp_norm) m = layer_norm(g, w, p + ".mlp.norm", m, hidden, a.norm_eps);
    return m;
}

// EvaBlock: x + proj(attn(norm1(x))), then x + fc2(mlp(norm2(x))); EvaBlockPostNorm:
// x + norm1(proj(attn(x))), then x + norm2(fc2(mlp(x))).
ValueId block(Graph& g, ModelWeights& w, const std::string& p, ValueId x, const TimmEvaArch& a, const Rope* rope) {
    const int64_t width = a.width, hidden = a.mlp_hidden;
    const float eps = a.norm_eps;
    if (!a.post_norm) {
        ValueId o = attention(g, w, p, layer_norm(g, w, p + ".norm1", x, width, eps), a, rope);
        x = timm_linear(g, w, p + ".attn.proj", o, width, width, true, Activation::None, x);
        ValueId m = mlp_hidden(g, w, p, layer_norm(g, w, p + ".norm2", x, width, eps), a);
        return timm_linear(g, w, p + ".mlp.fc2", m, width, hidden, true, Activation::None, x);
    }
    ValueId o = timm_linear(g, w, p + ".attn.proj", attention(g, w, p, x, a, rope), width, width, true);
    x = g.binary(BinaryOp::Add, x, layer_norm(g, w, p + ".norm1", o, width, eps), p + ".residual1");
    ValueId m = timm_linear(g, w, p + ".mlp.fc2", mlp_hidden(g, w, p, x, a), width, hidden, true);
    return g.binary(BinaryOp::Add, x, layer_norm(g, w, p + ".norm2", m, width, eps), p + ".residual2");
}

}  // namespace

ValueId timm_eva(Graph& g, ModelWeights& w, const std::string& prefix, ValueId image, const VisionConfig& c,
                 int embed_dim) {
    const TimmEvaArch a = timm_eva_arch(c.timm_model_name);
    const bool custom = !c.timm_custom_head.empty();
    const TimmVitHead head =
        resolve_timm_vit_head(a, c.timm_pool, custom ? "linear" : c.timm_proj, c.timm_proj_bias, embed_dim, prefix);
    if (head.pool == "map")
        fail(prefix, ": timm_pool map on the Eva trunk ", a.name, " is not supported (supported: '', token, avg)");
    const std::string t = prefix + "trunk.";
    ValueId x = timm_vit_tokens(g, w, t, image, a);

    Rope rope;
    if (a.rope) {
        const int64_t gh = a.img_h / a.patch_h, gw = a.img_w / a.patch_w, head_dim = a.width / a.heads;
        const int64_t prefix_tokens = a.prefix_tokens();
        const std::string table = t + "rope[" + std::to_string(gh) + "x" + std::to_string(gw) + "]";
        auto make = [&](bool sine) {
            return timm_rotary_table(gh, gw, prefix_tokens, a.width, head_dim, a.rope_ref_h, a.rope_ref_w,
                                     a.rope_temperature, sine);
        };
        rope.cos = w.derived_constant(g, table + "cos", [&] { return make(false); });
        rope.sin = w.derived_constant(g, table + "sin", [&] { return make(true); });
        rope.pair_rot = w.derived_constant(g, t + "rope.pair_rot", [] {
            return Tensor::from_f32({2, 2}, {0, -1, 1, 0});
        });
    }
    for (int i = 0; i < a.depth; ++i)
        x = block(g, w, t + "blocks." + std::to_string(i), x, a, a.rope ? &rope : nullptr);
    return timm_vit_head(g, w, prefix, x, a, head, c, embed_dim);
}

}  // namespace cliprt
