#version 450
#extension GL_GOOGLE_include_directive : require
// cliprt-variants: texel
// y[m, n] = act(x[m, :] . w[n, :] + bias[n] + residual[m, n]): a GEMM (gemm.glsl) with the bias,
// residual and activation fused into its epilogue. x [M, K], w [N, K]; w may be an activation. y
// and residual rows are ld_out apart: a weight larger than one binding runs as several dispatches
// over pieces of its output features (rows of w, columns of y), each bound at its first column.
#include "common.glsl"
#include "activation.glsl"
#include "inputs.glsl"

// Constants 3..6 are gemm.glsl's.
layout(constant_id = 7) const bool VEC4 = false;  // texel views of x and w hold 4 floats (K % 4 == 0)

FLOAT_INPUT(0, x)
FLOAT_INPUT(1, w)
layout(std430, binding = 2) readonly buffer Bias { ftype bias[]; };          // bound to x when unused
layout(std430, binding = 3) readonly buffer Residual { ftype residual[]; };  // bound to x when unused
layout(std430, binding = 4) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { LinearPush p; };  // shader_interface.h

void store(uint m, uint n, float v) {
    if ((p.flags & EPILOGUE_BIAS) != 0u) v += float(bias[n]);
    if ((p.flags & EPILOGUE_RESIDUAL) != 0u) v += float(residual[m * p.ld_out + n]);
    y[m * p.ld_out + n] = ftype(activate(v, p.act));
}

#define GEMM_LOAD_A(m, k) LOAD1(x, (m) * p.K + (k), VEC4)
#define GEMM_LOAD_B(n, k) LOAD1(w, (n) * p.K + (k), VEC4)
#define GEMM_B_SETUP(j, n)
#define GEMM_LOAD_B_REG(j, n, k) GEMM_LOAD_B(n, k)
#define GEMM_LOAD_A4(m, k) LOAD4(x, (m) * p.K + (k), VEC4)
#define GEMM_LOAD_B4(j, n, k) LOAD4(w, (n) * p.K + (k), VEC4)
#define GEMM_STORE(m, n, v) store(m, n, v)
#include "gemm.glsl"

void main() { gemm(p.M, p.N, p.K); }
