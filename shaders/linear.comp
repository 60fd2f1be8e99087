#version 450
#extension GL_GOOGLE_include_directive : require
// y[m, n] = act(x[m, :] . w[n, :] + bias[n] + residual[m, n]): a GEMM (gemm.glsl) with the bias,
// residual and activation fused into its epilogue. x [M, K], w [N, K]; w may be an activation.
#include "common.glsl"
#include "activation.glsl"

layout(constant_id = 3) const uint ACT = 0;
layout(constant_id = 9) const bool HAS_BIAS = false;
layout(constant_id = 10) const bool HAS_RESIDUAL = false;

layout(std430, binding = 0) readonly buffer X { ftype x[]; };
layout(std430, binding = 1) readonly buffer W { ftype w[]; };
layout(std430, binding = 2) readonly buffer Bias { ftype bias[]; };          // bound to x when unused
layout(std430, binding = 3) readonly buffer Residual { ftype residual[]; };  // bound to x when unused
layout(std430, binding = 4) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params {
    uint M;
    uint N;
    uint K;
} p;

void store(uint m, uint n, float v) {
    if (HAS_BIAS) v += float(bias[n]);
    if (HAS_RESIDUAL) v += float(residual[m * p.N + n]);
    y[m * p.N + n] = ftype(activate(v, ACT));
}

#define GEMM_LOAD_A(m, k) float(x[(m) * p.K + (k)])
#define GEMM_LOAD_B(n, k) float(w[(n) * p.K + (k)])
#define GEMM_B_SETUP(j, n)
#define GEMM_LOAD_B_REG(j, n, k) GEMM_LOAD_B(n, k)
#define GEMM_STORE(m, n, v) store(m, n, v)
#include "gemm.glsl"

void main() { gemm(p.M, p.N, p.K); }
