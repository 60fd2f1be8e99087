#include "cliprt/tensor.h"

#include "cliprt/error.h"

namespace cliprt {

namespace {

void check_dims(const Shape& shape) {
    for (int64_t d : shape.dims()) {
        if (d < 0) fail("negative dimension in shape ", shape);
    }
}

}  // namespace

Tensor::Tensor(Shape shape, DType dtype)
    : shape_(std::move(shape)), dtype_(dtype), bytes_(static_cast<size_t>(shape_.numel()) * dtype_size(dtype)) {
    check_dims(shape_);
}

Tensor Tensor::from_f32(Shape shape, std::vector<float> values) {
    Tensor t(std::move(shape), DType::F32);
    if (static_cast<int64_t>(values.size()) != t.numel())
        fail("from_f32: ", values.size(), " values for shape ", t.shape());
    std::memcpy(t.data(), values.data(), t.nbytes());
    return t;
}

Tensor Tensor::from_i32(Shape shape, std::vector<int32_t> values) {
    Tensor t(std::move(shape), DType::I32);
    if (static_cast<int64_t>(values.size()) != t.numel())
        fail("from_i32: ", values.size(), " values for shape ", t.shape());
    std::memcpy(t.data(), values.data(), t.nbytes());
    return t;
}

Tensor Tensor::view(Shape shape, DType dtype, const void* data, std::shared_ptr<const void> owner) {
    Tensor t;
    t.shape_ = std::move(shape);
    t.dtype_ = dtype;
    check_dims(t.shape_);
    if (reinterpret_cast<uintptr_t>(data) % dtype_size(dtype) != 0) fail("tensor view of misaligned data");
    t.view_ = static_cast<const unsigned char*>(data);
    t.view_bytes_ = static_cast<size_t>(t.shape_.numel()) * dtype_size(dtype);
    t.owner_ = std::move(owner);
    return t;
}

void* Tensor::data() {
    if (view_ != nullptr) {  // copy on first write: the viewed bytes are read-only
        bytes_.assign(view_, view_ + view_bytes_);
        view_ = nullptr;
        view_bytes_ = 0;
        owner_.reset();
    }
    return bytes_.data();
}

float* Tensor::f32() {
    if (dtype_ != DType::F32) fail("tensor of dtype ", dtype_name(dtype_), " read as f32");
    return static_cast<float*>(data());
}
const float* Tensor::f32() const {
    if (dtype_ != DType::F32) fail("tensor of dtype ", dtype_name(dtype_), " read as f32");
    return static_cast<const float*>(data());
}

int32_t* Tensor::i32() {
    if (dtype_ != DType::I32) fail("tensor of dtype ", dtype_name(dtype_), " read as i32");
    return static_cast<int32_t*>(data());
}
const int32_t* Tensor::i32() const {
    if (dtype_ != DType::I32) fail("tensor of dtype ", dtype_name(dtype_), " read as i32");
    return static_cast<const int32_t*>(data());
}

Tensor Tensor::to_f32() const {
    Tensor out(shape_, DType::F32);
    float* dst = out.f32();
    const int64_t n = numel();
    switch (dtype_) {
        case DType::F32:
            std::memcpy(dst, data(), nbytes());
            break;
        case DType::F16: {
            auto* src = reinterpret_cast<const uint16_t*>(data());
            for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
            break;
        }
        case DType::BF16: {
            auto* src = reinterpret_cast<const uint16_t*>(data());
            for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(src[i]);
            break;
        }
        case DType::I32: {
            auto* src = reinterpret_cast<const int32_t*>(data());
            for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]);
            break;
        }
        case DType::I64: {
            auto* src = reinterpret_cast<const int64_t*>(data());
            for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]);
            break;
        }
    }
    return out;
}

Tensor Tensor::to_dtype(DType dtype) const {
    if (dtype == DType::F32) return to_f32();
    Tensor src = dtype_ == DType::F32 ? *this : to_f32();
    Tensor out(shape_, dtype);
    const float* in = src.f32();
    const int64_t n = numel();
    switch (dtype) {
        case DType::F16: {
            auto* dst = reinterpret_cast<uint16_t*>(out.data());
            for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(in[i]);
            break;
        }
        case DType::BF16: {
            auto* dst = reinterpret_cast<uint16_t*>(out.data());
            for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_bf16(in[i]);
            break;
        }
        case DType::I32: {
            auto* dst = out.i32();
            for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<int32_t>(in[i]);
            break;
        }
        default:
            fail("cannot convert a tensor to ", dtype_name(dtype));
    }
    return out;
}

Tensor Tensor::reshaped(Shape shape) const {
    if (shape.numel() != numel()) fail("cannot reshape ", shape_, " to ", shape);
    Tensor out = *this;
    out.shape_ = std::move(shape);
    return out;
}

}  // namespace cliprt
