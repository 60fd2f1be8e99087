// Pooling: NCHW average pooling (one thread per output element, summing its window) and token
// pooling (one block per batch row: thread 0 picks the token, the block copies or averages it; the
// masked modes average or take the maximum of the tokens the mask keeps).
#include "device_common.cuh"

namespace cliprt::cuda {

namespace {

template <typename T>
__global__ void avg_pool2d_kernel(AvgPool2dArgs a, int64_t n) {
    const T* x = static_cast<const T*>(a.x);
    T* y = static_cast<T*>(a.y);
    const float inv_area = 1.0f / static_cast<float>(a.kernel_h * a.kernel_w);
    for (int64_t i = global_thread(); i < n; i += grid_threads()) {
        const int ow = static_cast<int>(i % a.out_w);
        const int oh = static_cast<int>(i / a.out_w % a.out_h);
        const int64_t plane = i / (static_cast<int64_t>(a.out_w) * a.out_h);
        const T* window = x + (plane * a.in_h + oh * a.stride_h) * a.in_w + ow * a.stride_w;
        float sum = 0.0f;
        for (int kh = 0; kh < a.kernel_h; ++kh) {
            for (int kw = 0; kw < a.kernel_w; ++kw) sum += to_f32(window[kh * a.in_w + kw]);
        }
        y[i] = from_f32<T>(sum * inv_area);
    }
}

constexpr int kPoolThreads = 256;

// The token row b pools: first, last, the first maximal id (torch.argmax), or the first id equal
// to eos_id (position 0 if there is none, as torch.argmax(ids == eos_id); graph.h TokenPoolParams).
__device__ int pooled_position(const TokenPoolArgs& a, int b) {
    const int32_t* ids = a.ids + static_cast<int64_t>(b) * a.len;
    switch (a.mode) {
        case Pool::First:
            return 0;
        case Pool::Last:
            return a.len - 1;
        case Pool::Argmax: {
            int best = 0;
            for (int t = 1; t < a.len; ++t) best = ids[t] > ids[best] ? t : best;
            return best;
        }
        case Pool::Eos:
            for (int t = 0; t < a.len; ++t) {
                if (ids[t] == a.eos_id) return t;
            }
            return 0;
        case Pool::Mean:
        case Pool::MaskedMean:
        case Pool::MaskedMax:
            return 0;
    }
    return 0;
}

template <typename T>
__global__ void __launch_bounds__(kPoolThreads) token_pool_kernel(TokenPoolArgs a) {
    __shared__ int position;
    const int b = blockIdx.x;
    if (threadIdx.x == 0) position = pooled_position(a, b);
    __syncthreads();
    const T* x = static_cast<const T*>(a.x) + static_cast<int64_t>(b) * a.len * a.width;
    T* y = static_cast<T*>(a.y) + static_cast<int64_t>(b) * a.width;
    const int32_t* mask = a.ids + static_cast<int64_t>(b) * a.len;  // the masked modes' mask
    for (int c = threadIdx.x; c < a.width; c += blockDim.x) {
        if (a.mode == Pool::MaskedMean || a.mode == Pool::MaskedMax) {
            const bool take_max = a.mode == Pool::MaskedMax;
            float acc = take_max ? -INFINITY : 0.0f;
            int count = 0;
            for (int t = 0; t < a.len; ++t) {
                if (mask[t] == 0) continue;
                const float v = to_f32(x[static_cast<int64_t>(t) * a.width + c]);
                acc = take_max ? fmaxf(acc, v) : acc + v;
                ++count;
            }
            // A row without a seen token gives zeros (graph.h PoolMode).
            y[c] = from_f32<T>(count == 0 ? 0.0f : take_max ? acc : acc / static_cast<float>(count));
        } else if (a.mode == Pool::Mean) {
            float sum = 0.0f;
            for (int t = a.mean_start; t < a.len; ++t) sum += to_f32(x[static_cast<int64_t>(t) * a.width + c]);
            y[c] = from_f32<T>(sum / static_cast<float>(a.len - a.mean_start));
        } else {
            y[c] = x[static_cast<int64_t>(position) * a.width + c];
        }
    }
}

}  // namespace

void launch_avg_pool2d(Storage s, const AvgPool2dArgs& a, cudaStream_t stream) {
    const int64_t n = a.planes * a.out_h * a.out_w;
    if (n == 0) return;
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        avg_pool2d_kernel<T><<<elementwise_blocks(n), kElementwiseThreads, 0, stream>>>(a, n);
    });
}

void launch_token_pool(Storage s, const TokenPoolArgs& a, cudaStream_t stream) {
    if (a.batch == 0) return;
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        token_pool_kernel<T><<<static_cast<unsigned>(a.batch), kPoolThreads, 0, stream>>>(a);
    });
}

}  // namespace cliprt::cuda
