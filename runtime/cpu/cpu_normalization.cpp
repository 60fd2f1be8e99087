// Row-wise normalizations over the last dimension: layer norm, l2 normalize, softmax. Row sums
// are accumulated in double so the oracle does not depend on summation order.
#include <algorithm>
#include <cmath>

#include "cpu/cpu_kernels.h"
#include "cpu/cpu_ops.h"

namespace cliprt::cpu {

namespace {

// Rows per parallel chunk: enough work per chunk to amortize scheduling.
int64_t row_chunk(int64_t width) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(width, 1)); }

}  // namespace

void layer_norm(ThreadPool& pool, const float* x, const float* gamma, const float* beta, float* y, int64_t rows,
                int64_t width, float eps) {
    pool.parallel_for(rows, row_chunk(width), [&](int64_t begin, int64_t end, int) {
        for (int64_t r = begin; r < end; ++r) {
            const float* in = x + r * width;
            float* out = y + r * width;
            // Two passes: mean, then the mean squared deviation (biased, as torch).
            double sum = 0.0;
            for (int64_t j = 0; j < width; ++j) sum += in[j];
            const double mean = sum / static_cast<double>(width);
            double squares = 0.0;
            for (int64_t j = 0; j < width; ++j) squares += (in[j] - mean) * (in[j] - mean);
            const double inv_std = 1.0 / std::sqrt(squares / static_cast<double>(width) + eps);
            for (int64_t j = 0; j < width; ++j)
                out[j] = static_cast<float>((in[j] - mean) * inv_std * gamma[j] + beta[j]);
        }
    });
}

// Safe in place (x == y): each row's norm is computed before the row is written.
void l2_normalize(ThreadPool& pool, const float* x, float* y, int64_t rows, int64_t width) {
    pool.parallel_for(rows, row_chunk(width), [&](int64_t begin, int64_t end, int) {
        for (int64_t r = begin; r < end; ++r) {
            const float* in = x + r * width;
            float* out = y + r * width;
            double squares = 0.0;
            for (int64_t j = 0; j < width; ++j) squares += static_cast<double>(in[j]) * in[j];
            // F.normalize: x / max(||x||, 1e-12), with the norm rounded to f32 as torch has it.
            const float norm = std::max(static_cast<float>(std::sqrt(squares)), 1e-12f);
            for (int64_t j = 0; j < width; ++j) out[j] = in[j] / norm;
        }
    });
}

void softmax(ThreadPool& pool, const float* x, float* y, int64_t rows, int64_t width) {
    if (width <= 0) return;
    pool.parallel_for(rows, row_chunk(width), [&](int64_t begin, int64_t end, int) {
        for (int64_t r = begin; r < end; ++r) {
            const float* in = x + r * width;
            float* out = y + r * width;
            const float max_value = *std::max_element(in, in + width);
            double total = 0.0;
            for (int64_t j = 0; j < width; ++j) {
                out[j] = std::exp(in[j] - max_value);
                total += out[j];
            }
            for (int64_t j = 0; j < width; ++j) out[j] = static_cast<float>(out[j] / total);
        }
    });
}

Step record_layer_norm(const NodeArgs& args) {
    const float eps = args.node.get<LayerNormParams>().eps;
    const RowsView v = rows_view(args);
    const float* x = f32_data(v.x);
    const float* gamma = f32_data(args.inputs[1]);
    const float* beta = f32_data(args.inputs[2]);
    float* y = f32_data(args.output);
    ThreadPool& pool = args.pool;
    return [&pool, x, gamma, beta, y, rows = v.rows, width = v.width, eps] {
        layer_norm(pool, x, gamma, beta, y, rows, width, eps);
    };
}

namespace {

// L2Normalize and Softmax share their shape handling: rows of the last dimension.
template <void (*Kernel)(ThreadPool&, const float*, float*, int64_t, int64_t)>
Step record_row_op(const NodeArgs& args) {
    const RowsView v = rows_view(args);
    const float* x = f32_data(v.x);
    float* y = f32_data(args.output);
    ThreadPool& pool = args.pool;
    return [&pool, x, y, rows = v.rows, width = v.width] { Kernel(pool, x, y, rows, width); };
}

}  // namespace

Step record_l2_normalize(const NodeArgs& args) { return record_row_op<l2_normalize>(args); }
Step record_softmax(const NodeArgs& args) { return record_row_op<softmax>(args); }

}  // namespace cliprt::cpu
