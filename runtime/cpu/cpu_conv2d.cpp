// Conv2d as an implicit GEMM per image: out[o, p] = W[o, :] . patch(p), where the packer gathers
// the (c, kh, kw) patch of output pixel p straight from the image (zero outside it), so no im2col
// matrix is ever materialised. The output rows are NCHW channel planes. Grouped convolutions
// (ConvNeXt's depthwise 7x7) are a direct loop per output element.
#include "cpu/cpu_gemm.h"
#include "cpu/cpu_kernels.h"
#include "cpu/cpu_ops.h"

namespace cliprt::cpu {

void conv2d(ThreadPool& pool, const float* x, const float* w, const float* bias, const float* residual, float* y,
            const Conv2dShape& s, Activation act) {
    const int64_t out_h = s.out_h();
    const int64_t out_w = s.out_w();
    const int64_t pixels = out_h * out_w;
    const int64_t kernel_area = s.kernel_h * s.kernel_w;
    const int64_t patch = s.in_channels * kernel_area;
    const int64_t in_plane = s.in_h * s.in_w;
    for (int64_t img = 0; img < s.batch; ++img) {
        const float* image = x + img * s.in_channels * in_plane;
        const GemmPackB pack_patches = [&](int64_t n0, int64_t nr, int64_t k0, int64_t kc, float* panel) {
            // Top-left input corner of each output pixel's window.
            int64_t top[kGemmNr];
            int64_t left[kGemmNr];
            for (int64_t j = 0; j < nr; ++j) {
                top[j] = (n0 + j) / out_w * s.stride_h - s.pad_h;
                left[j] = (n0 + j) % out_w * s.stride_w - s.pad_w;
            }
            for (int64_t kk = 0; kk < kc; ++kk) {
                const int64_t c = (k0 + kk) / kernel_area;
                const int64_t kh = (k0 + kk) % kernel_area / s.kernel_w;
                const int64_t kw = (k0 + kk) % s.kernel_w;
                const float* plane = image + c * in_plane;
                float* dst = panel + kk * kGemmNr;
                for (int64_t j = 0; j < nr; ++j) {
                    const int64_t ih = top[j] + kh;
                    const int64_t iw = left[j] + kw;
                    const bool inside = ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w;
                    dst[j] = inside ? plane[ih * s.in_w + iw] : 0.0f;
                }
                for (int64_t j = nr; j < kGemmNr; ++j) dst[j] = 0.0f;
            }
        };
        const int64_t out_offset = img * s.out_channels * pixels;
        gemm_abt(pool, s.out_channels, pixels, patch, w, patch, pack_patches, y + out_offset, pixels);
        bias_residual_act(pool, y + out_offset, s.out_channels, pixels, bias, true, act,
                          residual != nullptr ? residual + out_offset : nullptr);
    }
}

void grouped_conv2d(ThreadPool& pool, const float* x, const float* w, const float* bias, const float* residual,
                    float* y, const Conv2dShape& s, Activation act) {
    const int64_t out_h = s.out_h();
    const int64_t out_w = s.out_w();
    const int64_t group_in = s.in_channels / s.groups;
    const int64_t group_out = s.out_channels / s.groups;
    const int64_t taps = s.kernel_h * s.kernel_w;
    // One task per output plane (image, output channel).
    pool.parallel_for(s.batch * s.out_channels, 1, [&](int64_t begin, int64_t end, int) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const int64_t img = plane / s.out_channels;
            const int64_t o = plane % s.out_channels;
            const int64_t first_in = o / group_out * group_in;
            const float* weights = w + o * group_in * taps;
            float* out = y + plane * out_h * out_w;
            for (int64_t oy = 0; oy < out_h; ++oy) {
                for (int64_t ox = 0; ox < out_w; ++ox) {
                    double sum = bias != nullptr ? bias[o] : 0.0;
                    for (int64_t c = 0; c < group_in; ++c) {
                        const float* in = x + ((img * s.in_channels) + first_in + c) * s.in_h * s.in_w;
                        for (int64_t ky = 0; ky < s.kernel_h; ++ky) {
                            const int64_t iy = oy * s.stride_h - s.pad_h + ky;
                            if (iy < 0 || iy >= s.in_h) continue;
                            for (int64_t kx = 0; kx < s.kernel_w; ++kx) {
                                const int64_t ix = ox * s.stride_w - s.pad_w + kx;
                                if (ix < 0 || ix >= s.in_w) continue;
                                sum += static_cast<double>(weights[(c * s.kernel_h + ky) * s.kernel_w + kx]) *
                                       in[iy * s.in_w + ix];
                            }
                        }
                    }
                    const int64_t i = oy * out_w + ox;
                    if (residual != nullptr) sum += residual[plane * out_h * out_w + i];
                    out[i] = activate(act, static_cast<float>(sum));
                }
            }
        }
    });
}

namespace {

// Both convolutions record the same way; Kernel is conv2d or grouped_conv2d.
template <auto Kernel>
Step record_conv(const NodeArgs& args) {
    const Conv2dView v = conv2d_view(args);
    const Conv2dParams& p = v.params;
    const Conv2dShape s{v.batch,    v.in_channels, v.in_h,     v.in_w,  v.out_channels, v.kernel_h,
                        v.kernel_w, p.stride_h,    p.stride_w, p.pad_h, p.pad_w,        p.groups};
    const float* x = f32_data(v.x);
    const float* w = f32_data(v.w);
    const float* bias = v.bias ? f32_data(*v.bias) : nullptr;
    const float* residual = v.residual ? f32_data(*v.residual) : nullptr;
    float* y = f32_data(args.output);
    ThreadPool& pool = args.pool;
    return [&pool, x, w, bias, residual, y, s, act = p.act] { Kernel(pool, x, w, bias, residual, y, s, act); };
}

}  // namespace

Step record_conv2d(const NodeArgs& args) { return record_conv<conv2d>(args); }

Step record_grouped_conv2d(const NodeArgs& args) { return record_conv<grouped_conv2d>(args); }

}  // namespace cliprt::cpu
