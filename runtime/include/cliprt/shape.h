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

}  // namespace cliprt
