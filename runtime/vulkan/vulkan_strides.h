// Element strides of several operands over one index space, with dimensions merged so that the
// binary and copy shaders loop over as few (at most kMaxStridedRank) dimensions as possible.
#pragma once

#include <cstdint>
#include <vector>

#include "cliprt/shape.h"
#include "shader_interface.h"

namespace cliprt::vk {

constexpr int kMaxStridedRank =
    static_cast<int>(shader::STRIDED_MAX_RANK);  // the dims/strides arrays of BinaryPush, CopyPush

struct StridedLoop {
    std::vector<int64_t> dims;                  // outermost first
    std::vector<std::vector<int64_t>> strides;  // per operand, per dimension
};

// Row-major strides of a contiguous tensor: row_major_strides() of cliprt/shape.h.

// Drops size-1 dimensions and merges neighbours that are contiguous in every operand.
StridedLoop merge_dims(const std::vector<int64_t>& dims, const std::vector<std::vector<int64_t>>& strides);

}  // namespace cliprt::vk
