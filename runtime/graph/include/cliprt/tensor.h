// A host tensor: shape, dtype and bytes, owned or (weights read from a mapped file) viewed in
// place. Used for weights, inputs and outputs on the host; device memory belongs to backends.
#pragma once

#include <cstring>
#include <memory>
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
    // The bytes at `data` (numel x dtype size, aligned to the dtype), read in place and kept valid
    // by `owner` (a file mapping): loading a checkpoint then makes no copy of its weights. The
    // first mutable access copies them (data() and f32() without const).
    static Tensor view(Shape shape, DType dtype, const void* data, std::shared_ptr<const void> owner);

    const Shape& shape() const { return shape_; }
    DType dtype() const { return dtype_; }
    int64_t numel() const { return shape_.numel(); }
    size_t nbytes() const { return view_ != nullptr ? view_bytes_ : bytes_.size(); }
    void* data();
    const void* data() const { return view_ != nullptr ? view_ : bytes_.data(); }
    bool is_view() const { return view_ != nullptr; }

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
    const unsigned char* view_ = nullptr;  // set for a view: bytes_ is empty then
    size_t view_bytes_ = 0;
    std::shared_ptr<const void> owner_;
};

}  // namespace cliprt
