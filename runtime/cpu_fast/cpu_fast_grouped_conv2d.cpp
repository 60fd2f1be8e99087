// Depthwise convolution with stride 1 (ConvNeXt's 7x7 over every channel). Each plane is copied
// into a zero-padded scratch image once; the output is then computed at the padded row pitch, so
// each kernel tap is one contiguous run over the whole plane (no bounds per row, full vectors even
// on 7x7 and 14x14 planes), kOutputsPerBlock outputs at a time accumulated across all taps (compiled for
// AVX-512, AVX2 and the baseline, picked at load time). Other grouped convolutions run the
// reference kernel.
#include <algorithm>
#include <cstring>

#include "cpu/cpu_kernels.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt::cpu_fast {

namespace {

constexpr int64_t kOutputsPerBlock = 64;  // outputs per accumulator block

struct DepthwisePlan {
    int64_t planes, channels, in_h, in_w, out_h, out_w, kernel_h, kernel_w, pad_h, pad_w;
    int64_t pitch() const { return in_w + 2 * pad_w; }  // padded row length
    // The padded image plus the slack the last chunk reads past it.
    int64_t padded_floats() const { return (in_h + 2 * pad_h) * pitch() + kernel_w + kOutputsPerBlock; }
    int64_t pitched_outputs() const { return out_h * pitch(); }  // columns past out_w are ignored
};

// out[j] = sum over taps of w[ky, kx] * pad[j + ky * pitch + kx] for j in [0, count), count rounded
// up to kOutputsPerBlock (out and pad have the room).
__attribute__((target_clones("avx512f", "avx2", "default"))) void depthwise_pitched(const float* pad, const float* w,
                                                                                    float* out, int64_t count,
                                                                                    int64_t pitch, int64_t kernel_h,
                                                                                    int64_t kernel_w) {
    for (int64_t j0 = 0; j0 < count; j0 += kOutputsPerBlock) {
        float acc[kOutputsPerBlock] = {};
        for (int64_t ky = 0; ky < kernel_h; ++ky) {
            for (int64_t kx = 0; kx < kernel_w; ++kx) {
                const float wv = w[ky * kernel_w + kx];
                const float* src = pad + j0 + ky * pitch + kx;
                for (int64_t t = 0; t < kOutputsPerBlock; ++t) acc[t] += wv * src[t];
            }
        }
        std::memcpy(out + j0, acc, sizeof(acc));
    }
}

void depthwise_plane(const float* in, const float* w, float bias, const float* residual, Activation act, float* out,
                     float* scratch, const DepthwisePlan& p) {
    float* pad = scratch;
    float* pitched = scratch + p.padded_floats();
    const int64_t pitch = p.pitch();
    std::fill(pad, pad + p.padded_floats(), 0.0f);
    for (int64_t y = 0; y < p.in_h; ++y)
        std::memcpy(pad + (y + p.pad_h) * pitch + p.pad_w, in + y * p.in_w, sizeof(float) * p.in_w);
    depthwise_pitched(pad, w, pitched, p.pitched_outputs(), pitch, p.kernel_h, p.kernel_w);
    for (int64_t oy = 0; oy < p.out_h; ++oy) {
        float* row = out + oy * p.out_w;
        const float* src = pitched + oy * pitch;
        for (int64_t ox = 0; ox < p.out_w; ++ox) row[ox] = src[ox] + bias;
        if (residual != nullptr) {
            const float* r = residual + oy * p.out_w;
            for (int64_t ox = 0; ox < p.out_w; ++ox) row[ox] += r[ox];
        }
    }
    cpu::activate_inplace(act, out, p.out_h * p.out_w);
}

}  // namespace

Step record_grouped_conv2d(const FastArgs& a) {
    const Conv2dView v = conv2d_view(a);
    const Conv2dParams& params = v.params;
    const bool depthwise = params.groups == v.in_channels && v.out_channels == v.in_channels;
    if (!depthwise || params.stride_h != 1 || params.stride_w != 1) return {};
    const DepthwisePlan p{v.batch * v.out_channels,
                          v.out_channels,
                          v.in_h,
                          v.in_w,
                          v.out_h,
                          v.out_w,
                          v.kernel_h,
                          v.kernel_w,
                          params.pad_h,
                          params.pad_w};
    const float* x = cpu::f32_data(v.x);
    const float* w = cpu::f32_data(v.w);
    const float* bias = v.bias != nullptr ? cpu::f32_data(*v.bias) : nullptr;
    const float* residual = v.residual != nullptr ? cpu::f32_data(*v.residual) : nullptr;
    float* y = cpu::f32_data(a.output);
    return [&pool = a.pool, p, x, w, bias, residual, y, act = params.act] {
        const int64_t in_plane = p.in_h * p.in_w;
        const int64_t out_plane = p.out_h * p.out_w;
        const size_t scratch = static_cast<size_t>(p.padded_floats() + p.pitched_outputs() + kOutputsPerBlock);
        pool.parallel_for(p.planes, 1, [&](int64_t begin, int64_t end, int thread) {
            float* buffer = pool.scratch(thread, scratch);
            for (int64_t plane = begin; plane < end; ++plane) {
                const int64_t c = plane % p.channels;
                depthwise_plane(x + plane * in_plane, w + c * p.kernel_h * p.kernel_w, bias != nullptr ? bias[c] : 0.0f,
                                residual != nullptr ? residual + plane * out_plane : nullptr, act,
                                y + plane * out_plane, buffer, p);
            }
        });
    };
}

}  // namespace cliprt::cpu_fast
