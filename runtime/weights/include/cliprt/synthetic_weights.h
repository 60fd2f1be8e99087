// The deterministic weight generator, identical to tools/synthetic_weights.py.
//
//   u(name, i) = (splitmix64(fnv1a64(name) + i) >> 40) / 2^24          in [0, 1)
//   value      = center + scale * (2u - 1)                              computed in double, stored as f32
//
// fnv1a64 is over the UTF-8 bytes of the name; splitmix64(x) adds 0x9e3779b97f4a7c15 to x and
// applies the standard finalizer. (center, scale) come from the first rule of
// models/synthetic_weight_rules.json whose suffix matches the tensor name (and whose rank, if it
// states one, matches); a scale of "fan_in" means sqrt(3 / fan_in) with fan_in = numel / shape[0]
// (or shape[0] for "fan_in_rows"), so that a linear map keeps unit variance.
#pragma once

#include <cstdint>
#include <string>

#include "cliprt/tensor.h"

namespace cliprt {

uint64_t fnv1a64(const std::string& text);
uint64_t splitmix64(uint64_t x);
// u in [0, 1) for element `index` of the stream named `name`.
double synthetic_uniform(uint64_t name_hash, uint64_t index);

struct SyntheticRule {
    double center = 0.0;
    double scale = 0.0;  // already resolved for the shape
};

// The rule for a tensor of this name and shape; throws Error if no rule matches.
SyntheticRule synthetic_rule(const std::string& name, const Shape& shape);
// A tensor filled by the generator with the given center/scale.
Tensor synthetic_tensor(const std::string& name, const Shape& shape, double center, double scale);
// A tensor filled by the generator with the rule table's center/scale for its name.
Tensor synthetic_weight(const std::string& name, const Shape& shape);

}  // namespace cliprt
