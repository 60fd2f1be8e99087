// Unary and broadcast binary ops, one thread per element in grid-stride loops, as the elementwise
// shaders do. Binary finds b's element by splitting the output index into coordinates over y's
// dims and summing b's strides (0 on broadcast axes), so any numpy broadcast of b works.
#include "device_common.cuh"

namespace cliprt::cuda {

namespace {

template <typename T>
__global__ void unary_kernel(UnaryArgs a) {
    const T* x = static_cast<const T*>(a.x);
    T* y = static_cast<T*>(a.y);
    for (int64_t i = global_thread(); i < a.n; i += grid_threads()) {
        y[i] = from_f32<T>(a.alpha * activate(a.act, to_f32(x[i])) + a.beta);
    }
}

template <typename T>
__global__ void tanh_kernel(TanhArgs a) {
    const T* x = static_cast<const T*>(a.x);
    T* y = static_cast<T*>(a.y);
    for (int64_t i = global_thread(); i < a.n; i += grid_threads()) y[i] = from_f32<T>(tanhf(to_f32(x[i])));
}

template <typename T>
__global__ void binary_kernel(BinaryArgs a, int64_t n) {
    const T* pa = static_cast<const T*>(a.a);
    const T* pb = static_cast<const T*>(a.b);
    T* y = static_cast<T*>(a.y);
    for (int64_t i = global_thread(); i < n; i += grid_threads()) {
        int64_t rest = i;
        int64_t b_offset = 0;
#pragma unroll
        for (int d = kMaxRank - 1; d >= 0; --d) {  // unrolled: constant indices keep dims in registers
            if (d >= a.rank) continue;
            b_offset += rest % a.dims[d] * a.b_strides[d];
            rest /= a.dims[d];
        }
        const float u = to_f32(pa[i]);
        const float v = to_f32(pb[b_offset]);
        y[i] = from_f32<T>(a.multiply ? u * v : u + v);
    }
}

}  // namespace

void launch_unary(Storage s, const UnaryArgs& a, cudaStream_t stream) {
    if (a.n == 0) return;
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        unary_kernel<T><<<elementwise_blocks(a.n), kElementwiseThreads, 0, stream>>>(a);
    });
}

void launch_tanh(Storage s, const TanhArgs& a, cudaStream_t stream) {
    if (a.n == 0) return;
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        tanh_kernel<T><<<elementwise_blocks(a.n), kElementwiseThreads, 0, stream>>>(a);
    });
}

void launch_binary(Storage s, const BinaryArgs& a, cudaStream_t stream) {
    int64_t n = 1;
    for (int d = 0; d < a.rank; ++d) n *= a.dims[d];
    if (n == 0) return;
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        binary_kernel<T><<<elementwise_blocks(n), kElementwiseThreads, 0, stream>>>(a, n);
    });
}

}  // namespace cliprt::cuda
