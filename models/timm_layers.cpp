#include "models/timm_layers.h"

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
