// Pooling: token pooling [B, L, W] -> [B, W] (a chosen token or the mean) and NCHW average pooling.
#include <algorithm>
#include <limits>

#include "cliprt/error.h"
#include "cpu/cpu_kernels.h"
#include "cpu/cpu_ops.h"

namespace cliprt::cpu {

void token_pool(const TokenPoolParams& params, const float* x, const std::vector<int64_t>& positions, int64_t batch,
                int64_t len, int64_t width, float* y) {
    for (int64_t b = 0; b < batch; ++b) {
        const float* tokens = x + b * len * width;
        float* out = y + b * width;
        if (params.mode != PoolMode::Mean) {
            std::copy_n(tokens + positions[static_cast<size_t>(b)] * width, width, out);
            continue;
        }
        const int64_t count = len - params.mean_start;
        for (int64_t j = 0; j < width; ++j) {
            double sum = 0.0;
            for (int64_t t = params.mean_start; t < len; ++t) sum += tokens[t * width + j];
            out[j] = static_cast<float>(sum / static_cast<double>(count));
        }
    }
}

void masked_token_pool(PoolMode mode, const float* x, const int32_t* mask, int64_t batch, int64_t len, int64_t width,
                       float* y) {
    for (int64_t b = 0; b < batch; ++b) {
        const float* tokens = x + b * len * width;
        const int32_t* keep = mask + b * len;
        const int64_t count = len - std::count(keep, keep + len, 0);
        float* out = y + b * width;
        for (int64_t j = 0; j < width; ++j) {
            if (count == 0) {
                out[j] = 0.0f;
            } else if (mode == PoolMode::MaskedMax) {
                float best = -std::numeric_limits<float>::infinity();
                for (int64_t t = 0; t < len; ++t) {
                    if (keep[t] != 0) best = std::max(best, tokens[t * width + j]);
                }
                out[j] = best;
            } else {
                double sum = 0.0;
                for (int64_t t = 0; t < len; ++t) {
                    if (keep[t] != 0) sum += tokens[t * width + j];
                }
                out[j] = static_cast<float>(sum / static_cast<double>(count));
            }
        }
    }
}

void avg_pool2d(ThreadPool& pool, const float* x, float* y, int64_t planes, int64_t in_h, int64_t in_w,
                const AvgPool2dParams& p) {
    const int64_t out_h = (in_h - p.kernel_h) / p.stride_h + 1;
    const int64_t out_w = (in_w - p.kernel_w) / p.stride_w + 1;
    const double area = static_cast<double>(p.kernel_h) * p.kernel_w;
    pool.parallel_for(planes, 1, [&](int64_t begin, int64_t end, int) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const float* in = x + plane * in_h * in_w;
            float* out = y + plane * out_h * out_w;
            for (int64_t oh = 0; oh < out_h; ++oh) {
                for (int64_t ow = 0; ow < out_w; ++ow) {
                    double sum = 0.0;
                    for (int64_t i = 0; i < p.kernel_h; ++i) {
                        for (int64_t j = 0; j < p.kernel_w; ++j)
                            sum += in[(oh * p.stride_h + i) * in_w + ow * p.stride_w + j];
                    }
                    out[oh * out_w + ow] = static_cast<float>(sum / area);
                }
            }
        }
    });
}

Step record_token_pool(const NodeArgs& args) {
    const TokenPoolView v = token_pool_view(args);
    const float* x = f32_data(v.x);
    const int32_t* ids = v.ids ? i32_data(*v.ids) : nullptr;
    float* y = f32_data(args.output);
    const std::string name = args.node.name;
    return [p = v.params, x, ids, batch = v.batch, len = v.len, width = v.width, y, name] {
        if (p.mode == PoolMode::MaskedMean || p.mode == PoolMode::MaskedMax) {
            masked_token_pool(p.mode, x, ids, batch, len, width, y);
            return;
        }
        const std::vector<int64_t> positions = token_pool_positions(p, ids, batch, len);
        for (int64_t pos : positions) {
            if (pos < 0 || pos >= len) fail("token_pool '", name, "': position ", pos, " outside [0, ", len, ")");
        }
        token_pool(p, x, positions, batch, len, width, y);
    };
}

Step record_avg_pool2d(const NodeArgs& args) {
    const AvgPool2dParams p = args.node.get<AvgPool2dParams>();
    const Shape& s = args.inputs[0].shape;
    const int64_t planes = s[0] * s[1];
    const int64_t in_h = s[2];
    const int64_t in_w = s[3];
    const float* x = f32_data(args.inputs[0]);
    float* y = f32_data(args.output);
    ThreadPool& pool = args.pool;
    return [&pool, p, x, y, planes, in_h, in_w] { avg_pool2d(pool, x, y, planes, in_h, in_w, p); };
}

}  // namespace cliprt::cpu
