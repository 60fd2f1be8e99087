#include "models/model_weights.h"

#include <cstring>

#include "cliprt/error.h"

namespace cliprt {

std::shared_ptr<const Tensor> ModelWeights::get(const std::string& name, const Shape& shape) {
    auto it = cache_.find(name);
    if (it != cache_.end()) {
        if (it->second->shape() != shape)
            fail("tensor '", name, "' requested as ", shape, " and as ", it->second->shape());
        return it->second;
    }
    auto tensor = std::make_shared<const Tensor>(source_->get(name, shape));
    cache_.emplace(name, tensor);
    return tensor;
}

std::shared_ptr<const Tensor> ModelWeights::derived(const std::string& key, const std::function<Tensor()>& make) {
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    auto tensor = std::make_shared<const Tensor>(make());
    cache_.emplace(key, tensor);
    return tensor;
}

Tensor transpose_2d(const Tensor& t) {
    if (t.shape().rank() != 2) fail("transpose_2d: tensor of shape ", t.shape());
    const int64_t rows = t.shape()[0], cols = t.shape()[1];
    Tensor out(Shape{cols, rows}, DType::F32);
    const float* src = t.f32();
    float* dst = out.f32();
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
    return out;
}

Tensor slice_rows(const Tensor& t, int64_t begin, int64_t count) {
    if (t.shape().rank() < 1 || begin < 0 || count < 0 || begin + count > t.shape()[0])
        fail("slice_rows: rows [", begin, ", ", begin + count, ") of ", t.shape());
    Shape shape = t.shape();
    shape[0] = count;
    Tensor out(shape, DType::F32);
    const int64_t row = t.numel() / std::max<int64_t>(t.shape()[0], 1);
    std::memcpy(out.f32(), t.f32() + begin * row, static_cast<size_t>(count * row) * sizeof(float));
    return out;
}

Tensor scale_rows(const Tensor& t, const Tensor& scale) {
    if (scale.numel() != t.shape()[0]) fail("scale_rows: ", scale.shape(), " for ", t.shape());
    Tensor out = t;
    const int64_t row = t.numel() / std::max<int64_t>(t.shape()[0], 1);
    float* dst = out.f32();
    for (int64_t r = 0; r < t.shape()[0]; ++r)
        for (int64_t i = 0; i < row; ++i) dst[r * row + i] *= scale.f32()[r];
    return out;
}

}  // namespace cliprt
