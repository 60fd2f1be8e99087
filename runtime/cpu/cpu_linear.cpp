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
    const LinearView v = linear_view(args);
    const float* x = f32_data(v.x);
    const float* w = f32_data(v.w);
    const float* bias = v.bias ? f32_data(*v.bias) : nullptr;
    const float* residual = v.residual ? f32_data(*v.residual) : nullptr;
    float* y = f32_data(args.output);
    ThreadPool& pool = args.pool;
    return [&pool, x, w, bias, residual, y, m = v.m, n = v.n, k = v.k, act = v.params.act] {
        linear(pool, x, w, bias, residual, y, m, n, k, act);
    };
}

}  // namespace cliprt::cpu
