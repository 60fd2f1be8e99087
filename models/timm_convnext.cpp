// open_clip's TimmModel around timm's ConvNeXt (timm/models/convnext.py): the patchify stem
// (Conv2d + LayerNorm2d), four stages of ConvNeXtBlocks (7x7 depthwise convolution, LayerNorm over
// channels, Linear -> GELU -> Linear, LayerScale gamma, residual), each stage after the first
// starting with LayerNorm2d + a 2x2 stride-2 convolution, then NormMlpClassifierHead (average
// pool, LayerNorm, the trunk's classifier) and open_clip's head (linear / mlp projection).
//
// The residual stream is kept as tokens [B, H*W, C] (timm's channels-last Linear layout), so the
// LayerNorms over channels and the MLP are the existing layer_norm and linear; only the
// convolutions see NCHW, through one permute each way.
#include <cmath>

#include "cliprt/error.h"
#include "models/timm_archs.h"
#include "models/timm_layers.h"
#include "models/towers.h"
#include "models/transformer_block.h"

namespace cliprt {

namespace {

struct Grid {
    int64_t batch, h, w;
};

// [B, C, H, W] -> [B, H*W, C]
ValueId to_tokens(Graph& g, ValueId x, const std::string& name) {
    const Shape s = g.shape(x);
    return g.permute(g.reshape(x, Shape{s[0], s[1], s[2] * s[3]}), {0, 2, 1}, name);
}

// [B, H*W, C] -> [B, C, H, W]
ValueId to_image(Graph& g, ValueId x, const Grid& grid, const std::string& name) {
    const int64_t channels = g.shape(x)[2];
    return g.reshape(g.permute(x, {0, 2, 1}, name), Shape{grid.batch, channels, grid.h, grid.w});
}

// ConvNeXtBlock: x + gamma * fc2(gelu(fc1(norm(conv_dw(x))))).
ValueId block(Graph& g, ModelWeights& w, const std::string& p, ValueId x, const Grid& grid, const TimmConvNextStage& s,
              const TimmConvNextArch& a) {
    const int64_t dim = s.dim;
    Conv2dParams dw;
    dw.pad_h = dw.pad_w = (s.kernel - 1) / 2;
    dw.groups = s.dim;
    const std::string conv = p + ".conv_dw";
    ValueId h = g.grouped_conv2d(to_image(g, x, grid, p + ".to_nchw"),
                                 w.constant(g, conv + ".weight", {dim, 1, s.kernel, s.kernel}),
                                 a.conv_bias ? w.constant(g, conv + ".bias", {dim}) : -1, dw, -1, conv);
    h = to_tokens(g, h, p + ".to_tokens");
    h = layer_norm(g, w, p + ".norm", h, dim, a.norm_eps);
    h = timm_linear(g, w, p + ".mlp.fc1", h, s.mlp_hidden, dim, true, a.act);
    return timm_scaled_linear(g, w, p + ".mlp.fc2", h, dim, s.mlp_hidden, a.layer_scale ? p + ".gamma" : "", x);
}

// A Conv2d with kernel = stride (the stem's patchify, the stages' 2x2 downsampling) over tokens.
ValueId patchify(Graph& g, ModelWeights& w, const std::string& name, ValueId image, int64_t out, int kernel,
                 bool bias) {
    const int64_t in = g.shape(image)[1];
    Conv2dParams c;
    c.stride_h = c.stride_w = kernel;
    return g.conv2d(image, w.constant(g, name + ".weight", {out, in, kernel, kernel}),
                    bias ? w.constant(g, name + ".bias", {out}) : -1, c, -1, name);
}

// rot(x) of timm's apply_rot_embed as weight rows: output channel 2m takes -row 2m+1, 2m+1 takes row 2m.
Tensor rotate_pairs(const Tensor& rows) {
    const Shape& s = rows.shape();
    const int64_t n = s[0], inner = rows.numel() / n;
    Tensor t(s, DType::F32);
    for (int64_t r = 0; r < n; ++r) {
        const float* src = rows.f32() + (r % 2 == 0 ? r + 1 : r - 1) * inner;
        float* dst = t.f32() + r * inner;
        for (int64_t k = 0; k < inner; ++k) dst[k] = r % 2 == 0 ? -src[k] : src[k];
    }
    return t;
}

// timm's AttentionPool2d (open_clip's abs_attn head.pool) or RotAttentionPool2d (rot_attn) over the
// tokens [B, N, C]: the mean token is prepended; abs adds the learned positions [N + 1, C], rot
// rotates the keys of the N map tokens (RotaryEmbeddingCat with reference feature size 7x7) (the mean token's query is
// never rotated). Only the mean token's query attends (the pool keeps token 0 of the output), then proj Linear(C, out)
// with bias.
ValueId attention_pool(Graph& g, ModelWeights& w, const std::string& p, ValueId x, const Grid& grid, bool rotary,
                       int pool_h, int pool_w, int64_t out) {
    const Shape xs = g.shape(x);
    const int64_t batch = xs[0], tokens = xs[1], width = xs[2];
    if (!rotary && (grid.h != pool_h || grid.w != pool_w))
        fail(p, ": the attention pool was made for a ", pool_h, "x", pool_w, " feature map, the image gives ", grid.h,
             "x", grid.w, " (timm resamples its positions; cliprt does not)");
    TokenPoolParams mean;
    mean.mode = PoolMode::Mean;
    ValueId avg = g.token_pool(x, -1, mean, p + ".mean");
    ValueId all = g.concat({g.reshape(avg, Shape{batch, 1, width}), x}, 1, p + ".tokens");
    ValueId query = avg;
    if (!rotary) {
        auto pos = w.get(p + ".pos_embed", {tokens + 1, width});
        all = g.binary(BinaryOp::Add, all, w.constant(g, p + ".pos_embed", {tokens + 1, width}), p + ".pos");
        query = g.binary(
            BinaryOp::Add, avg,
            w.derived_constant(g, p + ".pos_embed[0]", [&] { return slice_rows(*pos, 0, 1).reshaped(Shape{width}); }),
            p + ".query_pos");
    }
    const std::string qkv = p + ".qkv";
    const Shape qkv_w{3 * width, width}, qkv_b{3 * width};
    auto part = [&](ValueId in, int i, const char* what) {
        return g.linear(in, timm_packed_part(g, w, qkv + ".weight", qkv_w, 3, i),
                        timm_packed_part(g, w, qkv + ".bias", qkv_b, 3, i), Activation::None, -1, p + what);
    };
    ValueId q = g.reshape(part(query, 0, ".q"), Shape{batch, 1, width});
    ValueId k = part(all, 1, ".k");
    if (rotary) {
        // k * cos + rot(k) * sin, rot(k) being the key Linear with its rows paired and negated.
        auto rotated = [&](const char* what, const Shape& shape) {
            return w.derived_constant(g, qkv + what + "[1/3]rot", [&] {
                return rotate_pairs(slice_rows(*w.get(qkv + what, shape), width, width));
            });
        };
        ValueId k_rot =
            g.linear(all, rotated(".weight", qkv_w), rotated(".bias", qkv_b), Activation::None, -1, p + ".k_rot");
        const std::string table = p + ".rope[" + std::to_string(grid.h) + "x" + std::to_string(grid.w) + "]";
        ValueId cos = w.derived_constant(g, table + "cos", [&] {
            return timm_rotary_table(grid.h, grid.w, 1, width, kTimmAttnPoolHeadDim, 7, 7, 10000.0f, false);
        });
        ValueId sin = w.derived_constant(g, table + "sin", [&] {
            return timm_rotary_table(grid.h, grid.w, 1, width, kTimmAttnPoolHeadDim, 7, 7, 10000.0f, true);
        });
        k = g.binary(BinaryOp::Add, g.binary(BinaryOp::Mul, k, cos, p + ".k_cos"),
                     g.binary(BinaryOp::Mul, k_rot, sin, p + ".k_sin"), p + ".k_rope");
    }
    AttentionParams params;
    params.heads = static_cast<int>(width / kTimmAttnPoolHeadDim);
    params.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(kTimmAttnPoolHeadDim)));
    ValueId o = g.attention({q, k, part(all, 2, ".v")}, params, p + ".attn");
    return timm_linear(g, w, p + ".proj", g.reshape(o, Shape{batch, width}), out, width, true);
}

}  // namespace

ValueId timm_convnext(Graph& g, ModelWeights& w, const std::string& prefix, ValueId image, const VisionConfig& c,
                      int embed_dim) {
    const TimmConvNextArch a = timm_convnext_arch(c.timm_model_name);
    // A custom head replaces open_clip's: the trunk is reset with the pool as for a projection.
    const bool custom = !c.timm_custom_head.empty();
    const TimmConvNextHead head = resolve_timm_convnext_head(a, c.timm_pool, custom ? "linear" : c.timm_proj,
                                                             c.timm_proj_bias, embed_dim, prefix);
    const Shape is = g.shape(image);
    if (is[2] < a.min_image_size() || is[3] < a.min_image_size())
        fail(prefix, ": ", a.name, " needs images of at least ", a.min_image_size(), " pixels, got ", is[2], "x",
             is[3]);
    const std::string t = prefix + "trunk.";

    ValueId x = patchify(g, w, t + "stem.0", image, a.stages[0].dim, a.patch, a.conv_bias);
    Grid grid{is[0], g.shape(x)[2], g.shape(x)[3]};
    x = to_tokens(g, x, t + "stem.tokens");
    x = layer_norm(g, w, t + "stem.1", x, a.stages[0].dim, a.norm_eps);
    for (size_t i = 0; i < a.stages.size(); ++i) {
        const TimmConvNextStage& s = a.stages[i];
        const std::string stage = t + "stages." + std::to_string(i);
        if (i > 0) {
            const int64_t in = a.stages[i - 1].dim;
            x = layer_norm(g, w, stage + ".downsample.0", x, in, a.norm_eps);
            x = patchify(g, w, stage + ".downsample.1", to_image(g, x, grid, stage + ".to_nchw"), s.dim, 2,
                         a.conv_bias);
            grid = Grid{grid.batch, g.shape(x)[2], g.shape(x)[3]};
            x = to_tokens(g, x, stage + ".tokens");
        }
        for (int j = 0; j < s.depth; ++j) x = block(g, w, stage + ".blocks." + std::to_string(j), x, grid, s, a);
    }

    // NormMlpClassifierHead: average pool, LayerNorm2d (on the pooled vector), fc; reset to no
    // pool for the attention pool, which then reads the normalized feature map.
    const int64_t width = a.num_features();
    int64_t features = width;
    if (!head.attn_pool.empty()) {
        x = layer_norm(g, w, t + "head.norm", x, width, a.norm_eps);
        x = attention_pool(g, w, prefix + "head.pool", x, grid, head.attn_pool == "rot_attn", a.pool_h, a.pool_w,
                           embed_dim);
        features = embed_dim;
    } else {
        TokenPoolParams pool;
        pool.mode = PoolMode::Mean;
        x = g.token_pool(x, -1, pool, t + "head.global_pool");
        x = layer_norm(g, w, t + "head.norm", x, width, a.norm_eps);
    }
    if (head.trunk_classes > 0) {
        x = timm_linear(g, w, t + "head.fc", x, head.trunk_classes, width, true);
        features = head.trunk_classes;
    }
    if (custom) return timm_custom_head(g, w, prefix + "head.", x, c.timm_custom_head, embed_dim);
    if (head.proj == "linear") {
        x = timm_linear(g, w, prefix + "head.proj", x, embed_dim, features, head.proj_bias);
    } else if (head.proj == "mlp") {  // timm Mlp(features, 2 * embed_dim, embed_dim), exact GELU
        x = timm_linear(g, w, prefix + "head.mlp.fc1", x, 2 * embed_dim, features, true, Activation::Gelu);
        x = timm_linear(g, w, prefix + "head.mlp.fc2", x, embed_dim, 2 * embed_dim, head.proj_bias);
    }
    return x;
}

}  // namespace cliprt
