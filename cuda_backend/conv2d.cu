// Conv2d as an implicit GEMM (the conv shader's algorithm): out[o, n] = sum_k W[o, k] * patch(n, k)
// with o the output channel, n an output pixel of the whole batch (image, oh, ow) and
// k = (c, kh, kw). A 256-thread block computes a 64 x 64 tile of out; per step of 16 k it stages
// a 16 x 64 slice of W and a 16 x 64 slice of patches, gathered straight from the image (zero
// outside it: the padding), in shared memory, and each thread accumulates a 4 x 4 sub-tile in
// registers. The epilogue adds the folded batch-norm bias and the residual, applies the
// activation and writes NCHW. Grouped (depthwise) convolutions run a direct loop per output
// element (grouped_conv2d_kernel): their reduction is a few dozen taps.
#include "device_common.cuh"

namespace cliprt::cuda {

namespace {

constexpr int kTileO = 64;  // output channels per block
constexpr int kTileN = 64;  // output pixels per block
constexpr int kTileK = 16;  // reduction step
constexpr int kThreads = 256;
constexpr int kSub = 4;  // each thread: kSub channels x kSub pixels
static_assert(kTileO * kTileK == kThreads * kSub && kTileN * kTileK == kThreads * kSub, "loads: kSub per thread");

template <typename T>
__global__ void __launch_bounds__(kThreads) conv2d_kernel(Conv2dArgs a) {
    __shared__ float w_tile[kTileK][kTileO + 1];  // +1: the transposed stores spread over banks
    __shared__ float x_tile[kTileK][kTileN];

    const T* w = static_cast<const T*>(a.w);
    const int tid = threadIdx.x;
    const int o0 = blockIdx.y * kTileO;
    const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kTileN;
    const int kernel_area = a.kernel_h * a.kernel_w;
    const int reduction = a.in_channels * kernel_area;
    const int64_t pixels = static_cast<int64_t>(a.out_h) * a.out_w;
    const int64_t columns = a.batch * pixels;

    // The one output pixel whose patch this thread gathers: column tid % kTileN of the tile.
    const int load_n = tid % kTileN;
    const int64_t n = n0 + load_n;
    const bool n_inside = n < columns;
    int top = 0;
    int left = 0;
    const T* image = static_cast<const T*>(a.x);
    if (n_inside) {
        const int64_t img = n / pixels;
        const int64_t p = n % pixels;
        top = static_cast<int>(p / a.out_w) * a.stride_h - a.pad_h;
        left = static_cast<int>(p % a.out_w) * a.stride_w - a.pad_w;
        image += img * a.in_channels * a.in_h * a.in_w;
    }
    // The weight column this thread loads: tid % kTileK.
    const int load_k = tid % kTileK;
    // The sub-tile this thread computes: channels ty * kSub + i, pixels tx + 16 * j.
    const int tx = tid % 16;
    const int ty = tid / 16;

    float acc[kSub][kSub];
#pragma unroll
    for (int i = 0; i < kSub; ++i) {
#pragma unroll
        for (int j = 0; j < kSub; ++j) acc[i][j] = 0.0f;
    }

    for (int k0 = 0; k0 < reduction; k0 += kTileK) {
#pragma unroll
        for (int i = 0; i < kSub; ++i) {
            const int o = tid / kTileK + (kThreads / kTileK) * i;
            const int k = k0 + load_k;
            const bool inside = o0 + o < a.out_channels && k < reduction;
            w_tile[load_k][o] = inside ? to_f32(w[static_cast<int64_t>(o0 + o) * reduction + k]) : 0.0f;
        }
#pragma unroll
        for (int i = 0; i < kSub; ++i) {
            const int kk = tid / kTileN + (kThreads / kTileN) * i;
            const int k = k0 + kk;
            float value = 0.0f;
            if (n_inside && k < reduction) {
                const int c = k / kernel_area;
                const int r = k % kernel_area;
                const int ih = top + r / a.kernel_w;
                const int iw = left + r % a.kernel_w;
                if (ih >= 0 && ih < a.in_h && iw >= 0 && iw < a.in_w) {
                    value = to_f32(image[(static_cast<int64_t>(c) * a.in_h + ih) * a.in_w + iw]);
                }
            }
            x_tile[kk][load_n] = value;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < kTileK; ++kk) {
            float wv[kSub];
            float xv[kSub];
#pragma unroll
            for (int i = 0; i < kSub; ++i) wv[i] = w_tile[kk][ty * kSub + i];
#pragma unroll
            for (int j = 0; j < kSub; ++j) xv[j] = x_tile[kk][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < kSub; ++i) {
#pragma unroll
                for (int j = 0; j < kSub; ++j) acc[i][j] += wv[i] * xv[j];
            }
        }
        __syncthreads();
    }

    const T* bias = static_cast<const T*>(a.bias);
    const T* residual = static_cast<const T*>(a.residual);
    T* y = static_cast<T*>(a.y);
#pragma unroll
    for (int i = 0; i < kSub; ++i) {
        const int o = o0 + ty * kSub + i;
        if (o >= a.out_channels) continue;
        const float b = bias != nullptr ? to_f32(bias[o]) : 0.0f;
#pragma unroll
        for (int j = 0; j < kSub; ++j) {
            const int64_t col = n0 + tx + 16 * j;
            if (col >= columns) continue;
            const int64_t index = (col / pixels * a.out_channels + o) * pixels + col % pixels;
            float value = acc[i][j] + b;
            if (residual != nullptr) value += to_f32(residual[index]);
            y[index] = from_f32<T>(activate(a.act, value));
        }
    }
}

template <typename T>
__global__ void grouped_conv2d_kernel(Conv2dArgs a, int group_in, int group_out) {
    const int64_t pixels = static_cast<int64_t>(a.out_h) * a.out_w;
    const int64_t total = static_cast<int64_t>(a.batch) * a.out_channels * pixels;
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= total) return;
    const int ox = static_cast<int>(i % a.out_w);
    const int oy = static_cast<int>(i / a.out_w % a.out_h);
    const int o = static_cast<int>(i / pixels % a.out_channels);
    const int64_t b = i / (pixels * a.out_channels);
    const int first_in = o / group_out * group_in;
    const T* x = static_cast<const T*>(a.x);
    const T* w = static_cast<const T*>(a.w);
    const int top = oy * a.stride_h - a.pad_h;
    const int left = ox * a.stride_w - a.pad_w;
    float sum = 0.0f;
    for (int c = 0; c < group_in; ++c) {
        const T* plane = x + ((b * a.in_channels) + first_in + c) * a.in_h * a.in_w;
        const T* taps = w + (static_cast<int64_t>(o) * group_in + c) * a.kernel_h * a.kernel_w;
        for (int ky = 0; ky < a.kernel_h; ++ky) {
            const int ih = top + ky;
            if (ih < 0 || ih >= a.in_h) continue;
            for (int kx = 0; kx < a.kernel_w; ++kx) {
                const int iw = left + kx;
                if (iw < 0 || iw >= a.in_w) continue;
                sum += to_f32(taps[ky * a.kernel_w + kx]) * to_f32(plane[static_cast<int64_t>(ih) * a.in_w + iw]);
            }
        }
    }
    if (a.bias != nullptr) sum += to_f32(static_cast<const T*>(a.bias)[o]);
    if (a.residual != nullptr) sum += to_f32(static_cast<const T*>(a.residual)[i]);
    static_cast<T*>(a.y)[i] = from_f32<T>(activate(a.act, sum));
}

}  // namespace

void launch_grouped_conv2d(Storage s, const Conv2dArgs& a, int groups, cudaStream_t stream) {
    const int64_t total = static_cast<int64_t>(a.batch) * a.out_channels * a.out_h * a.out_w;
    constexpr int threads = 256;
    const unsigned blocks = static_cast<unsigned>((total + threads - 1) / threads);
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        grouped_conv2d_kernel<T><<<blocks, threads, 0, stream>>>(a, a.in_channels / groups, a.out_channels / groups);
    });
}

void launch_conv2d(Storage s, const Conv2dArgs& a, cudaStream_t stream) {
    const int64_t columns = static_cast<int64_t>(a.batch) * a.out_h * a.out_w;
    const dim3 grid(static_cast<unsigned>((columns + kTileN - 1) / kTileN),
                    static_cast<unsigned>((a.out_channels + kTileO - 1) / kTileO));
    with_storage(s, [&](auto tag) {
        using T = decltype(tag);
        conv2d_kernel<T><<<grid, kThreads, 0, stream>>>(a);
    });
}

}  // namespace cliprt::cuda
