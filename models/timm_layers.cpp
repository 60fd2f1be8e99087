#include "models/timm_layers.h"

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

}  // namespace cliprt
