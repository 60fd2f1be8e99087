// Row-wise normalizations over the last dimension, one block per row (the shaders' workgroup per
// row): the block strides over the row and combines per-thread partials with a warp-shuffle and
// shared-memory reduction.
//   layer_norm:   two passes, mean then the mean squared deviation (biased, as torch), then write.
//   l2_normalize: x / max(|x|, 1e-12), as F.normalize.
//   softmax:      max, sum of exp(x - max), then write exp(x - max) / sum.
#include "device_common.cuh"

namespace cliprt::cuda {

namespace {

constexpr int kRowThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kRowThreads) layer_norm_kernel(LayerNormArgs a) {
    __shared__ float scratch[32];
    const T* x = static_cast<const T*>(a.rows.x) + blockIdx.x * a.rows.width;
    T* y = static_cast<T*>(a.rows.y) + blockIdx.x * a.rows.width;
    const T* gamma = static_cast<const T*>(a.gamma);
    const T* beta = static_cast<const T*>(a.beta);
    const int64_t width = a.rows.width;
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) sum += to_f32(x[j]);
    const float mean = block_sum(sum, scratch) / static_cast<float>(width);
    float squares = 0.0f;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) {
        const float d = to_f32(x[j]) - mean;
        squares += d * d;
    }
    const float inv_std = 1.0f / sqrtf(block_sum(squares, scratch) / static_cast<float>(width) + a.eps);
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) {
        y[j] = from_f32<T>((to_f32(x[j]) - mean) * inv_std * to_f32(gamma[j]) + to_f32(beta[j]));
    }
}

template <typename T>
__global__ void __launch_bounds__(kRowThreads) l2_normalize_kernel(RowArgs a) {
    __shared__ float scratch[32];
    const T* x = static_cast<const T*>(a.x) + blockIdx.x * a.width;
    T* y = static_cast<T*>(a.y) + blockIdx.x * a.width;
    float squares = 0.0f;
    for (int64_t j = threadIdx.x; j < a.width; j += blockDim.x) {
        const float v = to_f32(x[j]);
        squares += v * v;
    }
    const float norm = fmaxf(sqrtf(block_sum(squares, scratch)), 1e-12f);
    for (int64_t j = threadIdx.x; j < a.width; j += blockDim.x) y[j] = from_f32<T>(to_f32(x[j]) / norm);
}

template <typename T>
__global__ void __launch_bounds__(kRowThreads) softmax_kernel(RowArgs a) {
    __shared__ float scratch[32];
    const T* x = static_cast<const T*>(a.x) + blockIdx.x * a.width;
    T* y = static_cast<T*>(a.y) + blockIdx.x * a.width;
    float max_value = -INFINITY;
    for (int64_t j = threadIdx.x; j < a.width; j += blockDim.x) max_value = fmaxf(max_value, to_f32(x[j]));
    max_value = block_max(max_value, scratch);
    float total = 0.0f;
    for (int64_t j = threadIdx.x; j < a.width; j += blockDim.x) total += expf(to_f32(x[j]) - max_value);
    total = block_sum(total, scratch);
    for (int64_t j = threadIdx.x; j < a.width; j += blockDim.x) {
        y[j] = from_f32<T>(expf(to_f32(x[j]) - max_value) / total);
    }
}

// One block per row; the grid's x dimension takes up to 2^31 - 1 rows.
unsigned row_blocks(int64_t rows) { return static_cast<unsigned>(rows); }

}  // namespace

void launch_layer_norm(Storage s, const LayerNormArgs& a, cudaStream_t stream) {
    if (a.rows.rows == 0) return;
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        layer_norm_kernel<T><<<row_blocks(a.rows.rows), kRowThreads, 0, stream>>>(a);
    });
}

void launch_l2_normalize(Storage s, const RowArgs& a, cudaStream_t stream) {
    if (a.rows == 0) return;
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        l2_normalize_kernel<T><<<row_blocks(a.rows), kRowThreads, 0, stream>>>(a);
    });
}

void launch_softmax(Storage s, const RowArgs& a, cudaStream_t stream) {
    if (a.rows == 0) return;
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        softmax_kernel<T><<<row_blocks(a.rows), kRowThreads, 0, stream>>>(a);
    });
}

}  // namespace cliprt::cuda
