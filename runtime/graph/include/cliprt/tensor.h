// A host tensor: shape, dtype and owned bytes. Used for weights, inputs and outputs on the host;
// device memory belongs to backends.
#pragma once

#include <cstring>
#include <vector>

#include "cliprt/dtype.h"
#include "cliprt/shape.h"

namespace cliprt {

class Tensor {
public:
    Tensor() = default;
    Tensor(Shape shape, DType dtype);  // zero-filled

    static Tensor from_f32(Shape shape, std::vector<float> values);
    static Tensor from_i32(Shape shape, std::vector<int32_t> values);

    const Shape& shape() const { return shape_; }
    DType dtype() const { return dtype_; }
    int64_t numel() const { return shape_.numel(); }
    size_t nbytes() const { return bytes_.size(); }
    void* data() { return bytes_.data(); }
    const void* data() const { return bytes_.data(); }

    // Typed views; throw Error if the dtype does not match.
    float* f32();
    const float* f32() const;
    int32_t* i32();
    const int32_t* i32() const;

    // Converts any float dtype to f32 (a copy; f32 input is copied too).
    Tensor to_f32() const;
    // Converts f32 to f16 / bf16 / f32.
    Tensor to_dtype(DType dtype) const;
    // Same bytes, new shape with equal numel (throws otherwise).
    Tensor reshaped(Shape shape) const;

private:
    Shape shape_;
    DType dtype_ = DType::F32;
    std::vector<unsigned char> bytes_;
};

}  // namespace cliprt
