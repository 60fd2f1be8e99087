// Average pooling (no padding), in f32: the reference's double sums over a per-element loop ran at
// 0.6 GB/s, 2-3 % of an RN50 forward (ModifiedResNet pools 2x2 after its stem and in every
// stride-2 bottleneck and its downsample). NCHW, or NHWC between channels-last convolutions.
#include "cpu/cpu_buffer.h"
#include "cpu_fast/cpu_fast_layout.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt::cpu_fast {

namespace {

// Output rows [r0, r1) of all planes (row = plane * out_h + oh).
void pool_rows(const float* x, float* y, int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w,
               const AvgPool2dParams& p, int64_t r0, int64_t r1) {
    const float scale = 1.0f / static_cast<float>(p.kernel_h * p.kernel_w);
    for (int64_t r = r0; r < r1; ++r) {
        const int64_t plane = r / out_h, oh = r % out_h;
        const float* in = x + (plane * in_h + oh * p.stride_h) * in_w;
        float* out = y + r * out_w;
        if (p.kernel_h == 2 && p.kernel_w == 2 && p.stride_w == 2) {  // the common case, vectorized by the compiler
            const float* in1 = in + in_w;
            for (int64_t ow = 0; ow < out_w; ++ow)
                out[ow] = ((in[2 * ow] + in[2 * ow + 1]) + (in1[2 * ow] + in1[2 * ow + 1])) * scale;
            continue;
        }
        for (int64_t ow = 0; ow < out_w; ++ow) {
            float sum = 0.0f;
            for (int64_t i = 0; i < p.kernel_h; ++i) {
                const float* row = in + i * in_w + ow * p.stride_w;
                for (int64_t j = 0; j < p.kernel_w; ++j) sum += row[j];
            }
            out[ow] = sum * scale;
        }
    }
}

// NHWC: output pixels [r0, r1) of all images (r = image * out_h * out_w + oh * out_w + ow), each
// the mean of its window's channel rows.
void pool_pixels_nhwc(const float* x, float* y, int64_t channels, int64_t in_h, int64_t in_w, int64_t out_h,
                      int64_t out_w, const AvgPool2dParams& p, int64_t r0, int64_t r1) {
    const float scale = 1.0f / static_cast<float>(p.kernel_h * p.kernel_w);
    for (int64_t r = r0; r < r1; ++r) {
        const int64_t img = r / (out_h * out_w), oh = r / out_w % out_h, ow = r % out_w;
        float* out = y + r * channels;
        std::fill(out, out + channels, 0.0f);
        for (int64_t i = 0; i < p.kernel_h; ++i) {
            for (int64_t j = 0; j < p.kernel_w; ++j) {
                const float* in = x + ((img * in_h + oh * p.stride_h + i) * in_w + ow * p.stride_w + j) * channels;
                for (int64_t c = 0; c < channels; ++c) out[c] += in[c];
            }
        }
        for (int64_t c = 0; c < channels; ++c) out[c] *= scale;
    }
}

}  // namespace

Step record_avg_pool2d(const FastArgs& a) {
    const AvgPool2dParams p = a.node.get<AvgPool2dParams>();
    const Shape& s = a.inputs[0].shape;
    const int64_t in_h = s[2], in_w = s[3];
    const int64_t out_h = (in_h - p.kernel_h) / p.stride_h + 1;
    const int64_t out_w = (in_w - p.kernel_w) / p.stride_w + 1;
    const int64_t rows = s[0] * s[1] * out_h;
    const float* x = cpu::f32_data(a.inputs[0]);
    float* y = cpu::f32_data(a.output);
    if (value_is_nhwc(a.graph, a.node.inputs[0], a.weights)) {
        const int64_t channels = s[1], pixels = s[0] * out_h * out_w;
        return [&pool = a.pool, p, x, y, channels, in_h, in_w, out_h, out_w, pixels] {
            pool.parallel_for(pixels, 4, [&](int64_t r0, int64_t r1, int) {
                pool_pixels_nhwc(x, y, channels, in_h, in_w, out_h, out_w, p, r0, r1);
            });
        };
    }
    return [&pool = a.pool, p, x, y, in_h, in_w, out_h, out_w, rows] {
        pool.parallel_for(rows, 16,
                          [&](int64_t r0, int64_t r1, int) { pool_rows(x, y, in_h, in_w, out_h, out_w, p, r0, r1); });
    };
}

}  // namespace cliprt::cpu_fast
