// open_clip's ModifiedResNet (modified_resnet.py): 3-conv stem, anti-aliased Bottlenecks (with the
// optional SE block), AttentionPool2d. Batch norms (eval mode) are folded into the convolutions.
#include <cmath>

#include "cliprt/error.h"
#include "models/towers.h"
#include "models/transformer_block.h"

namespace cliprt {

namespace {

constexpr float kBatchNormEps = 1e-5f;

// conv (no bias) followed by BatchNorm2d, folded: w' = w * g / sqrt(var + eps), b' = beta - mean * g / sqrt(var + eps).
ValueId conv_bn(Graph& graph, ModelWeights& w, const std::string& conv, const std::string& bn, ValueId x, int64_t out,
                int64_t kernel, int stride, int pad, Activation act, ValueId residual = -1) {
    const int64_t in = graph.shape(x)[1];
    const Shape wshape{out, in, kernel, kernel};
    auto scale = [&] {
        Tensor s = *w.get(bn + ".weight", {out});
        const Tensor& var = *w.get(bn + ".running_var", {out});
        for (int64_t i = 0; i < out; ++i) s.f32()[i] /= std::sqrt(var.f32()[i] + kBatchNormEps);
        return s;
    };
    ValueId weight = w.derived_constant(graph, conv + ".weight(bn)",
                                        [&] { return scale_rows(*w.get(conv + ".weight", wshape), scale()); });
    ValueId bias = w.derived_constant(graph, bn + "(folded bias)", [&] {
        Tensor s = scale();
        const Tensor& beta = *w.get(bn + ".bias", {out});
        const Tensor& mean = *w.get(bn + ".running_mean", {out});
        for (int64_t i = 0; i < out; ++i) s.f32()[i] = beta.f32()[i] - mean.f32()[i] * s.f32()[i];
        return s;
    });
    Conv2dParams p;
    p.stride_h = p.stride_w = stride;
    p.pad_h = p.pad_w = pad;
    p.act = act;
    return graph.conv2d(x, weight, bias, p, residual, conv);
}

ValueId avg_pool(Graph& graph, ValueId x, int k, const std::string& name) {
    AvgPool2dParams p{k, k, k, k};
    return graph.avg_pool2d(x, p, name);
}

// SE block (cliprt extension from the project seeds): x * sigmoid(fc2(relu(fc1(mean_hw(x))))).
ValueId squeeze_excite(Graph& graph, ModelWeights& w, const std::string& prefix, ValueId x) {
    const Shape s = graph.shape(x);
    const int64_t c = s[1], hidden = c / 16;
    AvgPool2dParams global{static_cast<int>(s[2]), static_cast<int>(s[3]), static_cast<int>(s[2]),
                           static_cast<int>(s[3])};
    ValueId y = graph.reshape(graph.avg_pool2d(x, global, prefix + ".avg_pool"), Shape{s[0], c});
    y = graph.linear(y, w.constant(graph, prefix + ".fc.0.weight", {hidden, c}), -1, Activation::Relu, -1,
                     prefix + ".fc.0");
    y = graph.linear(y, w.constant(graph, prefix + ".fc.2.weight", {c, hidden}), -1, Activation::Sigmoid, -1,
                     prefix + ".fc.2");
    return graph.binary(BinaryOp::Mul, x, graph.reshape(y, Shape{s[0], c, 1, 1}), prefix);
}

ValueId bottleneck(Graph& graph, ModelWeights& w, const std::string& p, ValueId x, int64_t planes, int stride,
                   bool use_se) {
    const int64_t inplanes = graph.shape(x)[1];
    ValueId out = conv_bn(graph, w, p + ".conv1", p + ".bn1", x, planes, 1, 1, 0, Activation::Relu);
    out = conv_bn(graph, w, p + ".conv2", p + ".bn2", out, planes, 3, 1, 1, Activation::Relu);
    if (stride > 1) out = avg_pool(graph, out, stride, p + ".avgpool");
    ValueId identity = x;
    if (stride > 1 || inplanes != planes * 4) {
        if (stride > 1) identity = avg_pool(graph, identity, stride, p + ".downsample.-1");
        identity = conv_bn(graph, w, p + ".downsample.0", p + ".downsample.1", identity, planes * 4, 1, 1, 0,
                           Activation::None);
    }
    out = conv_bn(graph, w, p + ".conv3", p + ".bn3", out, planes * 4, 1, 1, 0, Activation::Relu, identity);
    return use_se ? squeeze_excite(graph, w, p + ".se", out) : out;
}

// AttentionPool2d: the mean token plus all spatial tokens attend; only the mean token's output is kept,
// so only its query is computed.
ValueId attention_pool(Graph& graph, ModelWeights& w, const std::string& p, ValueId x, int64_t heads, int64_t out_dim,
                       bool ln) {
    const Shape s = graph.shape(x);
    const int64_t batch = s[0], c = s[1], hw = s[2] * s[3];
    ValueId tokens = graph.permute(graph.reshape(x, Shape{batch, c, hw}), {0, 2, 1}, p + ".tokens");
    TokenPoolParams mean;
    mean.mode = PoolMode::Mean;
    ValueId mean_token = graph.reshape(graph.token_pool(tokens, -1, mean, p + ".mean"), Shape{batch, 1, c});
    tokens = graph.concat({mean_token, tokens}, 1, p + ".concat");
    tokens = graph.binary(BinaryOp::Add, tokens, w.constant(graph, p + ".positional_embedding", {hw + 1, c}),
                          p + ".positional_embedding");
    // Seed 001: nn.LayerNorm(embed_dim) (eps 1e-5) over the tokens before the q/k/v projections.
    if (ln) tokens = layer_norm(graph, w, p + ".ln", tokens, c, 1e-5f);
    TokenPoolParams first;
    ValueId query = graph.reshape(graph.token_pool(tokens, -1, first, p + ".query_token"), Shape{batch, 1, c});
    auto proj = [&](ValueId in, const std::string& name) {
        return graph.linear(in, w.constant(graph, p + "." + name + ".weight", {c, c}),
                            w.constant(graph, p + "." + name + ".bias", {c}), Activation::None, -1, p + "." + name);
    };
    AttentionParams ap;
    ap.heads = static_cast<int>(heads);
    if (c % heads != 0) fail(p, ": width ", c, " not divisible by ", heads, " heads");
    ap.scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(c / heads)));
    ValueId a =
        graph.attention({proj(query, "q_proj"), proj(tokens, "k_proj"), proj(tokens, "v_proj")}, ap, p + ".attn");
    a = graph.linear(a, w.constant(graph, p + ".c_proj.weight", {out_dim, c}),
                     w.constant(graph, p + ".c_proj.bias", {out_dim}), Activation::None, -1, p + ".c_proj");
    return graph.reshape(a, Shape{batch, out_dim});
}

}  // namespace

ValueId modified_resnet(Graph& graph, ModelWeights& w, const std::string& prefix, ValueId image, const VisionConfig& c,
                        int embed_dim) {
    const int64_t width = c.width;
    ValueId x = conv_bn(graph, w, prefix + "conv1", prefix + "bn1", image, width / 2, 3, 2, 1, Activation::Relu);
    x = conv_bn(graph, w, prefix + "conv2", prefix + "bn2", x, width / 2, 3, 1, 1, Activation::Relu);
    x = conv_bn(graph, w, prefix + "conv3", prefix + "bn3", x, width, 3, 1, 1, Activation::Relu);
    x = avg_pool(graph, x, 2, prefix + "avgpool");
    for (int layer = 0; layer < 4; ++layer) {
        const int64_t planes = width << layer;
        for (int block = 0; block < c.resnet_layers[static_cast<size_t>(layer)]; ++block) {
            const int stride = (layer > 0 && block == 0) ? 2 : 1;
            x = bottleneck(graph, w, prefix + "layer" + std::to_string(layer + 1) + "." + std::to_string(block), x,
                           planes, stride, c.use_se);
        }
    }
    const int64_t feature_width = width * 32;
    return attention_pool(graph, w, prefix + "attnpool", x, feature_width / c.head_width, embed_dim, c.attnpool_ln);
}

}  // namespace cliprt
