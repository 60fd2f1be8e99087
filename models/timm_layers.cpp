#include "models/timm_layers.h"

#include <cmath>

#include "cliprt/error.h"
#include "models/transformer_block.h"

namespace cliprt {

ValueId timm_linear(Graph& g, ModelWeights& w, const std::string& name, ValueId x, int64_t out, int64_t in, bool bias,
                    Activation act, ValueId residual) {
    return g.linear(x, w.constant(g, name + ".weight", {out, in}), bias ? w.constant(g, name + ".bias", {out}) : -1,
                    act, residual, name);
}

ValueId timm_scaled_linear(Graph& g, ModelWeights& w, const std::string& name, ValueId x, int64_t out, int64_t in,
                           const std::string& gamma, ValueId residual) {
    if (gamma.empty()) return timm_linear(g, w, name, x, out, in, true, Activation::None, residual);
    auto scale = w.get(gamma, {out});
    ValueId weight = w.derived_constant(g, name + ".weight*" + gamma, [&] {
        return scale_rows(*w.get(name + ".weight", {out, in}), *scale);
    });
    ValueId bias = w.derived_constant(g, name + ".bias*" + gamma,
                                      [&] { return scale_rows(*w.get(name + ".bias", {out}), *scale); });
    return g.linear(x, weight, bias, Activation::None, residual, name);
}

ValueId timm_packed_part(Graph& g, ModelWeights& w, const std::string& name, const Shape& shape, int parts, int part) {
    const int64_t rows = shape[0] / parts;
    return w.derived_constant(g, name + "[" + std::to_string(part) + "/" + std::to_string(parts) + "]",
                              [&] { return slice_rows(*w.get(name, shape), part * rows, rows); });
}

Tensor timm_rotary_table(int64_t h, int64_t w, int64_t prefix, int64_t width, int64_t head_dim, int ref_h, int ref_w,
                         float temperature, bool sine) {
    const int64_t bands = head_dim / 4;
    Tensor t(Shape{prefix + h * w, width}, DType::F32);
    float* out = t.f32();
    for (int64_t c = 0; c < prefix * width; ++c) out[c] = sine ? 0.0f : 1.0f;
    for (int64_t i = 0; i < h; ++i) {
        for (int64_t j = 0; j < w; ++j) {
            // float32 like timm's grid: arange(s) / s * ref.
            float pos[2] = {static_cast<float>(i), static_cast<float>(j)};
            if (ref_h > 0) {
                pos[0] = pos[0] / static_cast<float>(h) * static_cast<float>(ref_h);
                pos[1] = pos[1] / static_cast<float>(w) * static_cast<float>(ref_w);
            }
            float* row = out + (prefix + i * w + j) * width;
            for (int64_t c = 0; c < width; ++c) {
                const int64_t f = (c % head_dim) / 2;
                const float band = static_cast<float>(
                    1.0 / std::pow(static_cast<double>(temperature), static_cast<double>(f % bands) / bands));
                const float angle = pos[f / bands] * band;
                row[c] = sine ? std::sin(angle) : std::cos(angle);
            }
        }
    }
    return t;
}

ValueId timm_custom_head(Graph& g, ModelWeights& w, const std::string& prefix, ValueId x,
                         const std::vector<TimmHeadLayer>& layers, int embed_dim) {
    int64_t width = g.shape(x)[g.shape(x).rank() - 1];
    for (const TimmHeadLayer& layer : layers) {
        const std::string name = prefix + layer.name;
        if (layer.kind == "linear") {
            x = timm_linear(g, w, name, x, layer.out_features, width, layer.bias);
            width = layer.out_features;
        } else if (layer.kind == "layer_norm") {
            x = layer_norm(g, w, name, x, width, layer.eps);
        } else if (layer.kind == "relu" || layer.kind == "gelu" || layer.kind == "gelu_tanh" ||
                   layer.kind == "quick_gelu" || layer.kind == "sigmoid") {
            const Activation act = layer.kind == "relu"         ? Activation::Relu
                                   : layer.kind == "gelu"       ? Activation::Gelu
                                   : layer.kind == "gelu_tanh"  ? Activation::GeluTanh
                                   : layer.kind == "quick_gelu" ? Activation::QuickGelu
                                                                : Activation::Sigmoid;
            x = g.unary(x, act, 1.0f, 0.0f, name);
        } else if (layer.kind == "tanh") {
            x = g.tanh(x, name);
        } else if (layer.kind != "identity" && layer.kind != "dropout") {
            fail(name, ": unknown timm_custom_head layer kind '", layer.kind, "'");
        }
    }
    if (width != embed_dim)
        fail(prefix, ": timm_custom_head ends ", width, " wide, the model's embed_dim is ", embed_dim);
    return x;
}

}  // namespace cliprt
