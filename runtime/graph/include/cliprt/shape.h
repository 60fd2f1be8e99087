// Tensor shapes: a short list of dimensions, row-major (last dimension contiguous).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

namespace cliprt {

class Shape {
public:
    Shape() = default;
    Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
    explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

    int rank() const { return static_cast<int>(dims_.size()); }
    // Negative axes count from the end, as in numpy.
    int64_t operator[](int axis) const { return dims_.at(normalize_axis(axis)); }
    int64_t& operator[](int axis) { return dims_.at(normalize_axis(axis)); }
    int64_t numel() const;
    const std::vector<int64_t>& dims() const { return dims_; }
    int normalize_axis(int axis) const { return axis < 0 ? axis + rank() : axis; }
    std::string str() const;  // "[2, 3, 224, 224]"

    bool operator==(const Shape& other) const { return dims_ == other.dims_; }
    bool operator!=(const Shape& other) const { return dims_ != other.dims_; }

private:
    std::vector<int64_t> dims_;
};

std::ostream& operator<<(std::ostream& out, const Shape& shape);

// All dimensions but the last, multiplied: the rows an op over the last dimension sees.
inline int64_t row_count(const Shape& shape) {
    int64_t rows = 1;
    for (int d = 0; d + 1 < shape.rank(); ++d) rows *= shape[d];
    return rows;
}

// Row-major element strides of a contiguous tensor of this shape (the last is 1).
inline std::vector<int64_t> row_major_strides(const Shape& shape) {
    std::vector<int64_t> strides(static_cast<size_t>(shape.rank()), 1);
    for (int d = shape.rank() - 2; d >= 0; --d)
        strides[static_cast<size_t>(d)] = strides[static_cast<size_t>(d) + 1] * shape[d + 1];
    return strides;
}

// The element strides of a contiguous `b` along each axis of `out`, numpy-broadcast: b's dims align
// with out's trailing dims; where b has size 1 or no such dim the stride is 0.
inline std::vector<int64_t> broadcast_strides(const Shape& out, const Shape& b) {
    std::vector<int64_t> strides(static_cast<size_t>(out.rank()), 0);
    int64_t stride = 1;
    for (int i = b.rank() - 1; i >= 0; --i) {
        if (b[i] != 1) strides[static_cast<size_t>(i + out.rank() - b.rank())] = stride;
        stride *= b[i];
    }
    return strides;
}

}  // namespace cliprt
