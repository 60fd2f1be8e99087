// Depthwise convolution with stride 1 (ConvNeXt's 7x7 over every channel): each output row is the
// sum over the kernel taps of an input row shifted by the tap, scaled by its weight, so the inner
// loop runs over contiguous pixels and vectorizes (compiled for AVX-512, AVX2 and the baseline,
// picked at load time). Other grouped convolutions run the reference kernel.
#include <algorithm>

#include "cpu/cpu_kernels.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt::cpu_fast {

namespace {

struct DepthwisePlan {
    int64_t planes, channels, in_h, in_w, out_h, out_w, kernel_h, kernel_w, pad_h, pad_w;
};

// out[oy, ox] = bias + sum over taps of w[ky, kx] * in[oy - pad_h + ky, ox - pad_w + kx] (0 outside).
__attribute__((target_clones("avx512f", "avx2", "default"))) void depthwise_plane(const float* in, const float* w,
                                                                                  float bias, float* out,
                                                                                  const DepthwisePlan& p) {
    for (int64_t oy = 0; oy < p.out_h; ++oy) {
        float* row = out + oy * p.out_w;
        for (int64_t ox = 0; ox < p.out_w; ++ox) row[ox] = bias;
        for (int64_t ky = 0; ky < p.kernel_h; ++ky) {
            const int64_t iy = oy - p.pad_h + ky;
            if (iy < 0 || iy >= p.in_h) continue;
            const float* in_row = in + iy * p.in_w;
            for (int64_t kx = 0; kx < p.kernel_w; ++kx) {
                const float wv = w[ky * p.kernel_w + kx];
                const int64_t shift = kx - p.pad_w;
                const int64_t lo = std::max<int64_t>(0, -shift);
                const int64_t hi = std::min<int64_t>(p.out_w, p.in_w - shift);
                for (int64_t ox = lo; ox < hi; ++ox) row[ox] += wv * in_row[ox + shift];
            }
        }
    }
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
        pool.parallel_for(p.planes, 1, [&](int64_t begin, int64_t end, int) {
            const int64_t in_plane = p.in_h * p.in_w;
            const int64_t out_plane = p.out_h * p.out_w;
            for (int64_t plane = begin; plane < end; ++plane) {
                const int64_t c = plane % p.channels;
                float* out = y + plane * out_plane;
                depthwise_plane(x + plane * in_plane, w + c * p.kernel_h * p.kernel_w, bias != nullptr ? bias[c] : 0.0f,
                                out, p);
                if (residual != nullptr) {
                    const float* r = residual + plane * out_plane;
                    for (int64_t i = 0; i < out_plane; ++i) out[i] += r[i];
                }
                cpu::activate_inplace(act, out, out_plane);
            }
        });
    };
}

}  // namespace cliprt::cpu_fast
