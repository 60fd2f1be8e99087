// Activations, unary and binary ops, and the bias/activation/residual epilogue of Linear and Conv2d.
#include <cmath>
#include <numbers>

#include "cpu/cpu_kernels.h"
#include "cpu/cpu_ops.h"

namespace cliprt::cpu {

namespace {

// Elements per parallel chunk for cheap elementwise work.
constexpr int64_t kElementwiseChunk = 1 << 14;

}  // namespace

// Evaluated in double and rounded once, so the oracle is at least as accurate as torch's f32.
float activate(Activation act, float x) {
    const double v = x;
    switch (act) {
        case Activation::None:
            return x;
        case Activation::Relu:
            return x < 0.0f ? 0.0f : x;  // keeps NaN, like torch
        case Activation::Gelu:
            return static_cast<float>(0.5 * v * (1.0 + std::erf(v / std::numbers::sqrt2)));
        case Activation::GeluTanh: {
            const double k = std::sqrt(2.0 / std::numbers::pi);
            return static_cast<float>(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
        }
        case Activation::QuickGelu:
            return static_cast<float>(v / (1.0 + std::exp(-1.702 * v)));
        case Activation::Sigmoid:
            return static_cast<float>(1.0 / (1.0 + std::exp(-v)));
    }
    return x;
}

void activate_inplace(Activation act, float* x, int64_t n) {
    if (act == Activation::None) return;
    for (int64_t i = 0; i < n; ++i) x[i] = activate(act, x[i]);
}

void unary(ThreadPool& pool, const float* x, float* y, int64_t n, Activation act, float alpha, float beta) {
    pool.parallel_for(n, kElementwiseChunk, [&](int64_t begin, int64_t end, int) {
        for (int64_t i = begin; i < end; ++i) y[i] = alpha * activate(act, x[i]) + beta;
    });
}

void tanh(ThreadPool& pool, const float* x, float* y, int64_t n) {
    pool.parallel_for(n, kElementwiseChunk, [&](int64_t begin, int64_t end, int) {
        for (int64_t i = begin; i < end; ++i) y[i] = static_cast<float>(std::tanh(static_cast<double>(x[i])));
    });
}

void binary(ThreadPool& pool, BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape,
            float* y) {
    const int rank = a_shape.rank();
    const int64_t width = rank > 0 ? a_shape[-1] : 1;
    if (width == 0) return;
    const int64_t rows = a_shape.numel() / width;
    const std::vector<int64_t> b_strides = broadcast_strides(a_shape, b_shape);
    const int64_t b_step = rank > 0 ? b_strides.back() : 0;
    pool.parallel_for(rows, std::max<int64_t>(1, kElementwiseChunk / width), [&](int64_t begin, int64_t end, int) {
        for (int64_t row = begin; row < end; ++row) {
            int64_t b_offset = 0;
            int64_t rest = row;
            for (int axis = rank - 2; axis >= 0; --axis) {
                b_offset += rest % a_shape[axis] * b_strides[static_cast<size_t>(axis)];
                rest /= a_shape[axis];
            }
            const float* a_row = a + row * width;
            const float* b_row = b + b_offset;
            float* y_row = y + row * width;
            if (op == BinaryOp::Add) {
                for (int64_t j = 0; j < width; ++j) y_row[j] = a_row[j] + b_row[j * b_step];
            } else {
                for (int64_t j = 0; j < width; ++j) y_row[j] = a_row[j] * b_row[j * b_step];
            }
        }
    });
}

void bias_residual_act(ThreadPool& pool, float* c, int64_t rows, int64_t cols, const float* bias, bool bias_per_row,
                       Activation act, const float* residual) {
    if (bias == nullptr && act == Activation::None && residual == nullptr) return;
    pool.parallel_for(rows, std::max<int64_t>(1, kElementwiseChunk / std::max<int64_t>(cols, 1)),
                      [&](int64_t begin, int64_t end, int) {
                          for (int64_t r = begin; r < end; ++r) {
                              float* row = c + r * cols;
                              if (bias != nullptr && bias_per_row) {
                                  for (int64_t j = 0; j < cols; ++j) row[j] += bias[r];
                              } else if (bias != nullptr) {
                                  for (int64_t j = 0; j < cols; ++j) row[j] += bias[j];
                              }
                              if (residual != nullptr) {
                                  const float* res = residual + r * cols;
                                  for (int64_t j = 0; j < cols; ++j) row[j] += res[j];
                              }
                              activate_inplace(act, row, cols);
                          }
                      });
}

Step record_unary(const NodeArgs& args) {
    const UnaryParams p = args.node.get<UnaryParams>();
    const float* x = f32_data(args.inputs[0]);
    float* y = f32_data(args.output);
    const int64_t n = args.output.shape.numel();
    ThreadPool& pool = args.pool;
    return [&pool, p, x, y, n] { unary(pool, x, y, n, p.act, p.alpha, p.beta); };
}

Step record_tanh(const NodeArgs& args) {
    const float* x = f32_data(args.inputs[0]);
    float* y = f32_data(args.output);
    const int64_t n = args.output.shape.numel();
    ThreadPool& pool = args.pool;
    return [&pool, x, y, n] { tanh(pool, x, y, n); };
}

Step record_binary(const NodeArgs& args) {
    const BinaryOp op = args.node.get<BinaryParams>().op;
    const float* a = f32_data(args.inputs[0]);
    const float* b = f32_data(args.inputs[1]);
    float* y = f32_data(args.output);
    const Shape a_shape = args.inputs[0].shape;
    const Shape b_shape = args.inputs[1].shape;
    ThreadPool& pool = args.pool;
    return [&pool, op, a, a_shape, b, b_shape, y] { binary(pool, op, a, a_shape, b, b_shape, y); };
}

}  // namespace cliprt::cpu
