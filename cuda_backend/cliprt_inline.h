// Inline stand-ins for the cliprt functions the module needs. The module links none of cliprt's
// compiled code (cliprt is a static library and the executables that dlopen the module export
// nothing), so the non-inline Shape and dtype functions (numel, operator<<, dtype_size, ...) are
// out of reach; the link's --no-undefined keeps it that way.
#pragma once

#include <cstdint>
#include <string>

#include "cliprt/dtype.h"
#include "cliprt/shape.h"

namespace cliprt::cuda {

inline int64_t element_count(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape.dims()) n *= d;
    return n;
}

// All dims but the last: the rows an op over the last dimension sees.
inline int64_t row_count(const Shape& shape) {
    int64_t n = 1;
    for (int d = 0; d + 1 < shape.rank(); ++d) n *= shape[d];
    return n;
}

inline std::string shape_string(const Shape& shape) {
    std::string out = "[";
    for (int d = 0; d < shape.rank(); ++d) out += (d ? ", " : "") + std::to_string(shape[d]);
    return out + "]";
}

inline uint64_t element_bytes(DType dtype) {
    switch (dtype) {
        case DType::F16:
        case DType::BF16:
            return 2;
        case DType::I64:
            return 8;
        case DType::F32:
        case DType::I32:
            return 4;
    }
    return 4;
}

}  // namespace cliprt::cuda
