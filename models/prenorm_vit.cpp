// Seed 003's pre-norm ViT (the vit-pytorch style tower of shared/seeds/003) as an image tower,
// vision_cfg "prenorm_vit" (a cliprt extension), under the seed's own weight names:
//   patches rearranged 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)' (a reshape and a permute),
//   to_patch_embedding = LayerNorm(patch_dim) -> Linear(patch_dim, dim) -> LayerNorm(dim),
//   cls_token prepended, pos_embedding [1, n + 1, dim] added,
//   transformer.layers.<i> = [PreNorm(Attention), PreNorm(FeedForward)] with x + f(norm(x)):
//     Attention: to_qkv Linear(dim, 3 * heads * dim_head) without bias, softmax(q k^T * dim_head^-0.5) v,
//       to_out.0 Linear(heads * dim_head, dim) (absent when heads == 1 and dim_head == dim),
//     FeedForward: net.0 Linear(dim, mlp_dim) -> exact GELU -> net.3 Linear(mlp_dim, dim),
//   no final norm, pool cls (token 0) or mean (every token, the class token included),
//   mlp_head = LayerNorm(dim) -> Linear(dim, embed_dim). Every LayerNorm is nn.LayerNorm's (eps 1e-5).
#include <cmath>

#include "cliprt/error.h"
#include "models/timm_layers.h"
#include "models/towers.h"
#include "models/transformer_block.h"

namespace cliprt {

namespace {

constexpr float kTorchLayerNormEps = 1e-5f;

}  // namespace

ValueId prenorm_vit(Graph& g, ModelWeights& w, const std::string& prefix, ValueId image, const VisionConfig& c,
                    int embed_dim) {
    if (!c.prenorm_vit) fail(prefix, ": not a prenorm_vit tower");
    const PrenormVitConfig& s = *c.prenorm_vit;
    const Shape is = g.shape(image);
    const int64_t batch = is[0], channels = is[1], p = c.patch_size, dim = c.width;
    const int64_t gh = is[2] / p, gw = is[3] / p, n = gh * gw, patch_dim = channels * p * p;
    const int64_t inner = static_cast<int64_t>(s.heads) * s.dim_head;
    if (is[2] % p != 0 || is[3] % p != 0)
        fail(prefix, ": image ", is[2], "x", is[3], " is not a multiple of the patch size ", p);
    const float eps = kTorchLayerNormEps;

    // [B, C, h*p1, w*p2] -> [B, h, w, p1, p2, C] -> [B, h*w, p1*p2*C]
    ValueId x = g.reshape(image, Shape{batch, channels, gh, p, gw, p});
    x = g.permute(x, {0, 2, 4, 3, 5, 1}, prefix + "patches");
    x = g.reshape(x, Shape{batch, n, patch_dim});
    const std::string pe = prefix + "to_patch_embedding.";
    x = layer_norm(g, w, pe + "0", x, patch_dim, eps);
    x = timm_linear(g, w, pe + "1", x, dim, patch_dim, true);
    x = layer_norm(g, w, pe + "2", x, dim, eps);
    x = g.concat({w.constant(g, prefix + "cls_token", {1, 1, dim}), x}, 1, prefix + "tokens");
    ValueId pos = w.derived_constant(g, prefix + "pos_embedding[L,W]", [&] {
        return w.get(prefix + "pos_embedding", {1, n + 1, dim})->reshaped(Shape{n + 1, dim});
    });
    x = g.binary(BinaryOp::Add, x, pos, prefix + "pos_embedding");

    for (int i = 0; i < c.layers; ++i) {
        const std::string l = prefix + "transformer.layers." + std::to_string(i) + ".";
        ValueId h = layer_norm(g, w, l + "0.norm", x, dim, eps);
        const std::string qkv = l + "0.fn.to_qkv";
        h = g.linear(h, w.constant(g, qkv + ".weight", {3 * inner, dim}), -1, Activation::None, -1, qkv);
        AttentionParams params;
        params.heads = s.heads;
        params.packed_qkv = true;
        params.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.dim_head)));
        h = g.attention({h}, params, l + "0.fn.attend");
        const bool project_out = !(s.heads == 1 && s.dim_head == dim);
        x = project_out ? timm_linear(g, w, l + "0.fn.to_out.0", h, dim, inner, true, Activation::None, x)
                        : g.binary(BinaryOp::Add, x, h, l + "0.residual");
        h = layer_norm(g, w, l + "1.norm", x, dim, eps);
        h = timm_linear(g, w, l + "1.fn.net.0", h, s.mlp_dim, dim, true, Activation::Gelu);
        x = timm_linear(g, w, l + "1.fn.net.3", h, dim, s.mlp_dim, true, Activation::None, x);
    }

    TokenPoolParams pool;
    pool.mode = s.pool == "mean" ? PoolMode::Mean : PoolMode::First;
    x = g.token_pool(x, -1, pool, prefix + "pool");
    x = layer_norm(g, w, prefix + "mlp_head.0", x, dim, eps);
    return timm_linear(g, w, prefix + "mlp_head.1", x, embed_dim, dim, true);
}

}  // namespace cliprt
