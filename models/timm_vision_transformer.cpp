// open_clip's TimmModel around timm's VisionTransformer (timm/models/vision_transformer.py):
// patch embedding, prefix (class / register) tokens, position embedding, timm Blocks, the final
// norm, the pool (token, avg, map = AttentionPoolLatent, or none), fc_norm, the trunk's classifier,
// then open_clip's head (linear / mlp projection).
#include <cmath>

#include "cliprt/error.h"
#include "models/timm_archs.h"
#include "models/timm_layers.h"
#include "models/towers.h"
#include "models/transformer_block.h"

namespace cliprt {

namespace {

float attention_scale(int64_t head_dim) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim))); }

// timm Block: x + ls1(attn(norm1(x))), then x + ls2(mlp(norm2(x))).
ValueId block(Graph& g, ModelWeights& w, const std::string& p, ValueId x, const TimmVitArch& a) {
    const Shape xs = g.shape(x);
    const int64_t width = a.width, head_dim = width / a.heads;
    const float eps = a.norm_eps;
    ValueId h = layer_norm(g, w, p + ".norm1", x, width, eps);
    AttentionParams params;
    params.heads = a.heads;
    params.scale = attention_scale(head_dim);
    std::vector<ValueId> inputs;
    const std::string qkv = p + ".attn.qkv";
    const Shape qkv_w{3 * width, width}, qkv_b{3 * width};
    if (!a.qk_norm) {
        params.packed_qkv = true;
        inputs.push_back(g.linear(h, w.constant(g, qkv + ".weight", qkv_w),
                                  a.qkv_bias ? w.constant(g, qkv + ".bias", qkv_b) : -1, Activation::None, -1, qkv));
    } else {
        // q_norm / k_norm are LayerNorms over each head's channels.
        for (int part = 0; part < 3; ++part) {
            ValueId t = g.linear(h, timm_packed_part(g, w, qkv + ".weight", qkv_w, 3, part),
                                 a.qkv_bias ? timm_packed_part(g, w, qkv + ".bias", qkv_b, 3, part) : -1,
                                 Activation::None, -1, qkv + "[" + std::to_string(part) + "]");
            if (part < 2) {
                ValueId split = g.reshape(t, Shape{xs[0], xs[1], a.heads, head_dim});
                split = layer_norm(g, w, p + (part == 0 ? ".attn.q_norm" : ".attn.k_norm"), split, head_dim, eps);
                t = g.reshape(split, xs);
            }
            inputs.push_back(t);
        }
    }
    ValueId attn = g.attention(inputs, params, p + ".attn");
    x = timm_scaled_linear(g, w, p + ".attn.proj", attn, width, width, a.layer_scale ? p + ".ls1.gamma" : "", x);
    h = layer_norm(g, w, p + ".norm2", x, width, eps);
    h = timm_linear(g, w, p + ".mlp.fc1", h, a.mlp_hidden, width, true, a.act);
    return timm_scaled_linear(g, w, p + ".mlp.fc2", h, width, a.mlp_hidden, a.layer_scale ? p + ".ls2.gamma" : "", x);
}

// AttentionPoolLatent: one latent query attends to the tokens, then proj, then x + mlp(norm(x)).
// timm hands it the patch tokens only (x[:, num_prefix_tokens:]); here the class / register tokens
// are masked out of the keys instead (the attention's key mask: the same softmax over the same keys).
ValueId map_head(Graph& g, ModelWeights& w, const std::string& p, ValueId x, const TimmVitArch& a) {
    const int64_t width = a.width, batch = g.shape(x)[0], tokens = g.shape(x)[1], prefix = a.prefix_tokens();
    ValueId latent = w.derived_constant(g, p + ".latent[1,W]", [&] {
        return w.get(p + ".latent", {1, 1, width})->reshaped(Shape{1, width});
    });
    ValueId q = timm_linear(g, w, p + ".q", latent, width, width, a.map_qkv_bias);
    q = g.reshape(q, Shape{1, 1, width});
    const Shape kv_w{2 * width, width}, kv_b{2 * width};
    ValueId kv[2];
    for (int part = 0; part < 2; ++part) {
        kv[part] = g.linear(x, timm_packed_part(g, w, p + ".kv.weight", kv_w, 2, part),
                            a.map_qkv_bias ? timm_packed_part(g, w, p + ".kv.bias", kv_b, 2, part) : -1,
                            Activation::None, -1, p + (part == 0 ? ".k" : ".v"));
    }
    AttentionParams params;
    params.heads = a.map_heads;
    params.scale = attention_scale(width / a.map_heads);
    std::vector<ValueId> inputs{q, kv[0], kv[1]};
    if (prefix > 0) {
        params.has_key_mask = true;
        inputs.push_back(
            w.derived_constant(g, p + ".patch_keys[" + std::to_string(batch) + "x" + std::to_string(tokens) + "]", [&] {
                Tensor mask(Shape{batch, tokens}, DType::I32);
                for (int64_t i = 0; i < batch * tokens; ++i) mask.i32()[i] = i % tokens >= prefix ? 1 : 0;
                return mask;
            }));
    }
    ValueId o = g.attention(inputs, params, p + ".attn");
    o = timm_linear(g, w, p + ".proj", o, width, width, true);
    ValueId h = layer_norm(g, w, p + ".norm", o, width, a.map_norm_eps);
    h = timm_linear(g, w, p + ".mlp.fc1", h, a.map_mlp_hidden, width, true, a.act);
    o = timm_linear(g, w, p + ".mlp.fc2", h, width, a.map_mlp_hidden, true, Activation::None, o);
    return g.reshape(o, Shape{batch, width});  // pool 'token' of the single latent
}

}  // namespace

ValueId timm_vit_tokens(Graph& g, ModelWeights& w, const std::string& t, ValueId image, const TimmVitArch& a) {
    const Shape is = g.shape(image);
    if (is[2] != a.img_h || is[3] != a.img_w)
        fail(t, ": ", a.name, " takes ", a.img_h, "x", a.img_w, " images, got ", is[2], "x", is[3]);
    const int64_t width = a.width, batch = is[0];
    const int64_t grid = static_cast<int64_t>(a.img_h / a.patch_h) * (a.img_w / a.patch_w);
    const int64_t prefix_tokens = a.prefix_tokens();

    Conv2dParams patch;
    patch.stride_h = a.patch_h;
    patch.stride_w = a.patch_w;
    patch.has_bias = a.patch_bias;
    const std::string pe = t + "patch_embed.proj";
    ValueId x = g.conv2d(image, w.constant(g, pe + ".weight", {width, 3, a.patch_h, a.patch_w}),
                         a.patch_bias ? w.constant(g, pe + ".bias", {width}) : -1, patch, -1, pe);
    x = g.reshape(x, Shape{batch, width, grid});
    x = g.permute(x, {0, 2, 1}, t + "patches");

    const int64_t pos_len = a.no_embed_class ? grid : grid + prefix_tokens;
    ValueId pos = -1;
    if (a.pos_embed) {
        pos = w.derived_constant(g, t + "pos_embed[L,W]", [&] {
            return w.get(t + "pos_embed", {1, pos_len, width})->reshaped(Shape{pos_len, width});
        });
    }
    if (pos >= 0 && a.no_embed_class) x = g.binary(BinaryOp::Add, x, pos, t + "pos_embed");
    std::vector<ValueId> parts;
    if (a.class_token) parts.push_back(w.constant(g, t + "cls_token", {1, 1, width}));
    if (a.reg_tokens) parts.push_back(w.constant(g, t + "reg_token", {1, a.reg_tokens, width}));
    if (!parts.empty()) {
        parts.push_back(x);
        x = g.concat(parts, 1, t + "tokens");
    }
    if (pos >= 0 && !a.no_embed_class) x = g.binary(BinaryOp::Add, x, pos, t + "pos_embed");
    if (a.pre_norm) x = layer_norm(g, w, t + "norm_pre", x, width, a.norm_eps);
    return x;
}

ValueId timm_vit_head(Graph& g, ModelWeights& w, const std::string& prefix, ValueId x, const TimmVitArch& a,
                      const TimmVitHead& head, const VisionConfig& c, int embed_dim) {
    const std::string t = prefix + "trunk.";
    const int64_t width = a.width;
    if (head.norm_before_pool) x = layer_norm(g, w, t + "norm", x, width, a.norm_eps);
    if (head.pool == "map") {
        x = map_head(g, w, t + "attn_pool", x, a);
    } else if (head.pool == "avg" || head.pool == "token") {
        TokenPoolParams pool;
        pool.mode = head.pool == "avg" ? PoolMode::Mean : PoolMode::First;
        pool.mean_start = static_cast<int>(a.prefix_tokens());  // avg leaves the prefix tokens out
        x = g.token_pool(x, -1, pool, t + "pool");
    }
    if (head.fc_norm) x = layer_norm(g, w, t + "fc_norm", x, width, a.norm_eps);
    int64_t features = width;
    if (head.trunk_classes > 0) {
        x = timm_linear(g, w, t + "head", x, head.trunk_classes, width, true);
        features = head.trunk_classes;
    }
    if (!c.timm_custom_head.empty()) return timm_custom_head(g, w, prefix + "head.", x, c.timm_custom_head, embed_dim);
    if (head.proj == "linear") {
        x = timm_linear(g, w, prefix + "head.proj", x, embed_dim, features, head.proj_bias);
    } else if (head.proj == "mlp") {  // timm Mlp(features, 2 * embed_dim, embed_dim), exact GELU
        x = timm_linear(g, w, prefix + "head.mlp.fc1", x, 2 * embed_dim, features, true, Activation::Gelu);
        x = timm_linear(g, w, prefix + "head.mlp.fc2", x, embed_dim, 2 * embed_dim, head.proj_bias);
    }
    return x;
}

ValueId timm_vision_transformer(Graph& g, ModelWeights& w, const std::string& prefix, ValueId image,
                                const VisionConfig& c, int embed_dim) {
    const TimmVitArch a = timm_vit_arch(c.timm_model_name);
    // A custom head replaces open_clip's: the trunk is reset with the pool as for a projection.
    const bool custom = !c.timm_custom_head.empty();
    const TimmVitHead head =
        resolve_timm_vit_head(a, c.timm_pool, custom ? "linear" : c.timm_proj, c.timm_proj_bias, embed_dim, prefix);
    const std::string t = prefix + "trunk.";
    ValueId x = timm_vit_tokens(g, w, t, image, a);
    for (int i = 0; i < a.depth; ++i) x = block(g, w, t + "blocks." + std::to_string(i), x, a);
    return timm_vit_head(g, w, prefix, x, a, head, c, embed_dim);
}

}  // namespace cliprt
