// The weights of one model as graph constants, each loaded (or derived) once and shared by every
// graph built from the model, so graphs for several batch sizes upload each weight once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cliprt/graph.h"
#include "cliprt/weight_source.h"

namespace cliprt {

class ModelWeights {
public:
    explicit ModelWeights(std::shared_ptr<WeightSource> source) : source_(std::move(source)) {}

    // The checkpoint tensor `name` with the given shape, as f32.
    std::shared_ptr<const Tensor> get(const std::string& name, const Shape& shape);
    // A tensor computed from checkpoint tensors (folded batch norm, transposed projection), made once per key.
    std::shared_ptr<const Tensor> derived(const std::string& key, const std::function<Tensor()>& make);

    ValueId constant(Graph& graph, const std::string& name, const Shape& shape) {
        return graph.add_constant(name, get(name, shape));
    }
    ValueId derived_constant(Graph& graph, const std::string& key, const std::function<Tensor()>& make) {
        return graph.add_constant(key, derived(key, make));
    }

    WeightSource& source() { return *source_; }

private:
    std::shared_ptr<WeightSource> source_;
    std::map<std::string, std::shared_ptr<const Tensor>> cache_;
};

// Helpers for derived weights.
Tensor transpose_2d(const Tensor& t);                              // [R, C] -> [C, R]
Tensor slice_rows(const Tensor& t, int64_t begin, int64_t count);  // rows of a [R, ...] tensor
Tensor scale_rows(const Tensor& t, const Tensor& scale);           // t[r, ...] * scale[r]

}  // namespace cliprt
