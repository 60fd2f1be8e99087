// Linear: y = act(x @ W^T + b + residual), as one GEMM plus the shared epilogue.
#include "cpu/cpu_gemm.h"
#include "cpu/cpu_kernels.h"
#include "cpu/cpu_ops.h"

namespace cliprt::cpu {

void linear(ThreadPool& pool, const float* x, const float* w, const float* bias, const float* residual, float* y,
            int64_t m, int64_t n, int64_t k, Activation act) {
    // B = W: panel column j is weight row n0 + j.
    const GemmPackB pack_weight_rows = [w, k](int64_t n0, int64_t nr, int64_t k0, int64_t kc, float* panel) {
        for (int64_t j = 0; j < nr; ++j) {
            const float* src = w + (n0 + j) * k + k0;
            for (int64_t kk = 0; kk < kc; ++kk) panel[kk * kGemmNr + j] = src[kk];
        }
        for (int64_t j = nr; j < kGemmNr; ++j) {
            for (int64_t kk = 0; kk < kc; ++kk) panel[kk * kGemmNr + j] = 0.0f;
        }
    };
    gemm_abt(pool, m, n, k, x, k, pack_weight_rows, y, n);
    bias_residual_act(pool, y, m, n, bias, false, act, residual);
}

Step record_linear(const NodeArgs& args) {
    const LinearParams p = args.node.get<LinearParams>();
    const Shape& w_shape = args.inputs[1].shape;
    const int64_t n = w_shape[0];
    const int64_t k = w_shape[1];
    const int64_t m = outer_size(args.inputs[0].shape);
    const float* x = f32_data(args.inputs[0]);
    const float* w = f32_data(args.inputs[1]);
    size_t next = 2;
    const float* bias = p.has_bias ? f32_data(args.inputs[next++]) : nullptr;
    const float* residual = p.has_residual ? f32_data(args.inputs[next++]) : nullptr;
    float* y = f32_data(args.output);
    ThreadPool& pool = args.pool;
    return
        [&pool, x, w, bias, residual, y, m, n, k, act = p.act] { linear(pool, x, w, bias, residual, y, m, n, k, act); };
}

}  // namespace cliprt::cpu
