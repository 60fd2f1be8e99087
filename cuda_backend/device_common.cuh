// Device helpers shared by the kernels: f32/f16 storage conversion, the activations (the same
// formulas as the CPU oracle, in f32), warp and block reductions, and launch helpers.
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

#include "kernels.h"

namespace cliprt::cuda {

__device__ __forceinline__ float to_f32(float v) { return v; }
__device__ __forceinline__ float to_f32(__half v) { return __half2float(v); }

template <typename T>
__device__ __forceinline__ T from_f32(float v);
template <>
__device__ __forceinline__ float from_f32<float>(float v) {
    return v;
}
template <>
__device__ __forceinline__ __half from_f32<__half>(float v) {
    return __float2half_rn(v);
}

__device__ __forceinline__ float activate(Act act, float x) {
    switch (act) {
        case Act::None:
            return x;
        case Act::Relu:
            return x < 0.0f ? 0.0f : x;  // keeps NaN, like torch
        case Act::Gelu:
            return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));  // exact (erf) GELU
        case Act::GeluTanh: {
            const float k = 0.79788456080286536f;  // sqrt(2 / pi)
            return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
        }
        case Act::QuickGelu:
            return x / (1.0f + expf(-1.702f * x));
        case Act::Sigmoid:
            return 1.0f / (1.0f + expf(-x));
    }
    return x;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int offset = 16; offset > 0; offset /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024), returned to every thread.
// `scratch` holds 32 floats; the leading __syncthreads makes back-to-back calls safe.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    const int warps = blockDim.x / 32;
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    const int lane = threadIdx.x % 32;
    const int warp = threadIdx.x / 32;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    const int warps = blockDim.x / 32;
    v = lane < warps ? scratch[lane] : -INFINITY;
    return warp_max(v);
}

// Threads per block of the 1-D elementwise kernels, and a grid that covers n elements with
// grid-stride loops (capped so huge tensors loop instead of needing a huge grid).
inline constexpr int kElementwiseThreads = 256;
inline unsigned elementwise_blocks(int64_t n) {
    const int64_t blocks = (n + kElementwiseThreads - 1) / kElementwiseThreads;
    return static_cast<unsigned>(blocks < 65536 ? blocks : 65536);
}

__device__ __forceinline__ int64_t global_thread() {
    return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_threads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// Calls fn(float{}) or fn(__half{}) so a launcher instantiates its kernel for the storage type.
template <typename Fn>
void with_storage(Storage s, Fn&& fn) {
    if (s == Storage::F16) {
        fn(__half{});
    } else {
        fn(float{});
    }
}

}  // namespace cliprt::cuda
