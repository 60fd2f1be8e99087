// Ops that move data without arithmetic: embedding gather, concat, permute.
#include <algorithm>
#include <cstring>

#include "cliprt/error.h"
#include "cpu/cpu_kernels.h"
#include "cpu/cpu_ops.h"

namespace cliprt::cpu {

namespace {

constexpr size_t kElementBytes = 4;  // f32 and i32

// For every index i of `dims` (row-major): dst[i . dst_strides] = src[i . src_strides], on
// 4-byte elements. Strides are in elements; a 0 source stride repeats (broadcasts) along that axis.
void strided_copy(const unsigned char* src, const std::vector<int64_t>& src_strides, unsigned char* dst,
                  const std::vector<int64_t>& dst_strides, const std::vector<int64_t>& dims) {
    const size_t rank = dims.size();
    for (int64_t d : dims) {
        if (d == 0) return;
    }
    if (rank == 0) {
        std::memcpy(dst, src, kElementBytes);
        return;
    }
    int64_t rows = 1;
    for (size_t d = 0; d + 1 < rank; ++d) rows *= dims[d];
    const int64_t inner = dims[rank - 1];
    const int64_t src_step = src_strides[rank - 1];
    const int64_t dst_step = dst_strides[rank - 1];
    std::vector<int64_t> index(rank - 1, 0);  // of the current row, over all axes but the last
    for (int64_t row = 0; row < rows; ++row) {
        int64_t src_offset = 0;
        int64_t dst_offset = 0;
        for (size_t d = 0; d + 1 < rank; ++d) {
            src_offset += index[d] * src_strides[d];
            dst_offset += index[d] * dst_strides[d];
        }
        for (int64_t j = 0; j < inner; ++j) {
            std::memcpy(dst + static_cast<size_t>(dst_offset + j * dst_step) * kElementBytes,
                        src + static_cast<size_t>(src_offset + j * src_step) * kElementBytes, kElementBytes);
        }
        for (size_t d = rank - 1; d-- > 0;) {
            if (++index[d] < dims[d]) break;
            index[d] = 0;
        }
    }
}

}  // namespace

int64_t first_invalid_id(const int32_t* ids, int64_t n, int64_t vocab) {
    for (int64_t i = 0; i < n; ++i) {
        if (ids[i] < 0 || ids[i] >= vocab) return i;
    }
    return -1;
}

void embedding(const int32_t* ids, int64_t n, const float* table, int64_t width, float* y) {
    for (int64_t i = 0; i < n; ++i) std::copy_n(table + static_cast<int64_t>(ids[i]) * width, width, y + i * width);
}

void concat(const std::vector<const float*>& inputs, const std::vector<Shape>& shapes, int axis, float* y,
            const Shape& out_shape) {
    const std::vector<int64_t> out_strides = row_major_strides(out_shape);
    int64_t axis_offset = 0;
    for (size_t t = 0; t < inputs.size(); ++t) {
        const Shape& s = shapes[t];
        std::vector<int64_t> src_strides = row_major_strides(s);
        std::vector<int64_t> dims = out_shape.dims();
        for (int d = 0; d < s.rank(); ++d) {
            if (d == axis) {
                dims[static_cast<size_t>(d)] = s[d];
            } else if (s[d] == 1) {
                src_strides[static_cast<size_t>(d)] = 0;  // broadcast along this axis
            }
        }
        auto* dst = reinterpret_cast<unsigned char*>(y + axis_offset * out_strides[static_cast<size_t>(axis)]);
        strided_copy(reinterpret_cast<const unsigned char*>(inputs[t]), src_strides, dst, out_strides, dims);
        axis_offset += s[axis];
    }
}

void permute(const void* x, const Shape& x_shape, const std::vector<int>& perm, void* y) {
    const std::vector<int64_t> x_strides = row_major_strides(x_shape);
    std::vector<int64_t> dims;
    std::vector<int64_t> src_strides;
    for (int axis : perm) {
        dims.push_back(x_shape[axis]);
        src_strides.push_back(x_strides[static_cast<size_t>(axis)]);
    }
    strided_copy(static_cast<const unsigned char*>(x), src_strides, static_cast<unsigned char*>(y),
                 row_major_strides(Shape(dims)), dims);
}

Step record_embedding(const NodeArgs& args) {
    const int32_t* ids = i32_data(args.inputs[0]);
    const float* table = f32_data(args.inputs[1]);
    const int64_t n = args.inputs[0].shape.numel();
    const int64_t vocab = args.inputs[1].shape[0];
    const int64_t width = args.inputs[1].shape[1];
    float* y = f32_data(args.output);
    const std::string name = args.node.name;
    return [ids, table, n, vocab, width, y, name] {
        // Ids come from the user: check all of them before reading the table.
        const int64_t bad = first_invalid_id(ids, n, vocab);
        if (bad >= 0)
            fail("embedding '", name, "': id ", ids[bad], " at position ", bad, " is outside the vocabulary [0, ",
                 vocab, ")");
        embedding(ids, n, table, width, y);
    };
}

Step record_concat(const NodeArgs& args) {
    std::vector<const float*> inputs;
    std::vector<Shape> shapes;
    for (const TensorArg& in : args.inputs) {
        inputs.push_back(f32_data(in));
        shapes.push_back(in.shape);
    }
    const int axis = args.output.shape.normalize_axis(args.node.get<ConcatParams>().axis);
    float* y = f32_data(args.output);
    const Shape out_shape = args.output.shape;
    return [inputs, shapes, axis, y, out_shape] { concat(inputs, shapes, axis, y, out_shape); };
}

Step record_permute(const NodeArgs& args) {
    const void* x = raw_data(args.inputs[0]);
    void* y = raw_data(args.output);
    if (dtype_size(args.inputs[0].dtype) != kElementBytes || args.output.dtype != args.inputs[0].dtype)
        fail("permute '", args.node.name, "': the cpu backend permutes 4-byte elements of one dtype");
    const Shape x_shape = args.inputs[0].shape;
    const std::vector<int> perm = args.node.get<PermuteParams>().perm;
    return [x, x_shape, perm, y] { permute(x, x_shape, perm, y); };
}

}  // namespace cliprt::cpu
