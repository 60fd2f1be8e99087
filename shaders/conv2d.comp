#version 450
#extension GL_GOOGLE_include_directive : require
// cliprt-variants: texel
// NCHW conv2d as an implicit GEMM (gemm.glsl): C[o, n] = sum_k w[o, k] * col(n, k), where n runs
// over (batch, oy, ox) and k over (c, ky, kx); col gathers the input pixel, 0 in the padding.
// y = act(C + bias[o] + residual), with batch norm folded into w and bias at load time.
#include "common.glsl"
#include "activation.glsl"
#include "inputs.glsl"

// Constants 3..6 are gemm.glsl's. Kernel geometry as constants: the k decomposition then divides
// by constants.
layout(constant_id = 7) const uint KH = 1;
layout(constant_id = 8) const uint KW = 1;
layout(constant_id = 9) const uint SH = 1;
layout(constant_id = 10) const uint SW = 1;
layout(constant_id = 11) const int PH = 0;
layout(constant_id = 12) const int PW = 0;
layout(constant_id = 13) const bool VEC4 = false;  // the texel view of w holds 4 floats (K % 4 == 0)

FLOAT_INPUT(0, x)  // gathered: always one float per texel
FLOAT_INPUT(1, w)
layout(std430, binding = 2) readonly buffer Bias { ftype bias[]; };          // bound to x when unused
layout(std430, binding = 3) readonly buffer Residual { ftype residual[]; };  // bound to x when unused
layout(std430, binding = 4) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { Conv2dPush p; };  // shader_interface.h

// Where output pixel n reads from: the start of its image, and the input row/column of tap (0, 0).
struct Pixel {
    uint base;
    int iy0;
    int ix0;
};

Pixel pixel(uint n) {
    uint ohw = p.OH * p.OW;
    uint b = n / ohw;
    uint pix = n - b * ohw;
    uint oy = pix / p.OW;
    uint ox = pix - oy * p.OW;
    return Pixel(b * p.C * p.H * p.W, int(oy * SH) - PH, int(ox * SW) - PW);
}

float gather(Pixel px, uint k) {
    uint c = k / (KH * KW);
    uint r = k - c * (KH * KW);
    uint ky = r / KW;
    uint kx = r - ky * KW;
    int iy = px.iy0 + int(ky);
    int ix = px.ix0 + int(kx);
    if (iy < 0 || ix < 0 || iy >= int(p.H) || ix >= int(p.W)) return 0.0;
    return LOAD1(x, px.base + (c * p.H + uint(iy)) * p.W + uint(ix), false);
}

void store(uint m, uint n, float v) {
    uint ohw = p.OH * p.OW;
    uint b = n / ohw;
    uint index = (b * p.O + m) * ohw + (n - b * ohw);
    if ((p.flags & EPILOGUE_BIAS) != 0u) v += float(bias[m]);
    if ((p.flags & EPILOGUE_RESIDUAL) != 0u) v += float(residual[index]);
    y[index] = ftype(activate(v, p.act));
}

// The register variant decodes each of its columns once.
const uint TN_MAX = 16;
Pixel col_pixel[TN_MAX];

#define GEMM_LOAD_A(m, k) LOAD1(w, (m) * p.K + (k), VEC4)
#define GEMM_LOAD_B(n, k) gather(pixel(n), k)
#define GEMM_B_SETUP(j, n) col_pixel[j] = pixel(n)
#define GEMM_LOAD_B_REG(j, n, k) gather(col_pixel[j], k)
#define GEMM_LOAD_A4(m, k) LOAD4(w, (m) * p.K + (k), VEC4)
#define GEMM_LOAD_B4(j, n, k) \
    vec4(gather(col_pixel[j], k), gather(col_pixel[j], (k) + 1u), gather(col_pixel[j], (k) + 2u), gather(col_pixel[j], (k) + 3u))
#define GEMM_STORE(m, n, v) store(m, n, v)
#include "gemm.glsl"

void main() { gemm(p.O, p.N, p.K); }
