#version 450
#extension GL_GOOGLE_include_directive : require
// NCHW grouped convolution (depthwise when groups = C = O), one output element per invocation:
// y[b, o, oy, ox] = act(sum over the (c, ky, kx) of o's group of w[o, c, ky, kx] * x[...] + bias[o]
// + residual), 0 in the padding. Depthwise kernels reduce over a few dozen taps only, so a direct
// loop is the whole kernel.
#include "common.glsl"
#include "activation.glsl"

layout(std430, binding = 0) readonly buffer X { ftype x[]; };
layout(std430, binding = 1) readonly buffer Wt { ftype w[]; };
layout(std430, binding = 2) readonly buffer Bias { ftype bias[]; };          // bound to x when unused
layout(std430, binding = 3) readonly buffer Residual { ftype residual[]; };  // bound to x when unused
layout(std430, binding = 4) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { GroupedConv2dPush p; };  // shader_interface.h

void main() {
    uint i = global_index();
    uint ohw = p.OH * p.OW;
    if (i >= p.B * p.O * ohw) return;
    uint ox = i % p.OW;
    uint oy = (i / p.OW) % p.OH;
    uint o = (i / ohw) % p.O;
    uint b = i / (ohw * p.O);
    uint first_in = o / p.group_out * p.group_in;
    int iy0 = int(oy * p.SH) - int(p.PH);
    int ix0 = int(ox * p.SW) - int(p.PW);
    float sum = 0.0;
    for (uint c = 0u; c < p.group_in; ++c) {
        uint plane = (b * p.C + first_in + c) * p.H * p.W;
        uint taps = (o * p.group_in + c) * p.KH * p.KW;
        for (uint ky = 0u; ky < p.KH; ++ky) {
            int iy = iy0 + int(ky);
            if (iy < 0 || iy >= int(p.H)) continue;
            for (uint kx = 0u; kx < p.KW; ++kx) {
                int ix = ix0 + int(kx);
                if (ix < 0 || ix >= int(p.W)) continue;
                sum += float(w[taps + ky * p.KW + kx]) * float(x[plane + uint(iy) * p.W + uint(ix)]);
            }
        }
    }
    if ((p.flags & EPILOGUE_BIAS) != 0u) sum += float(bias[o]);
    if ((p.flags & EPILOGUE_RESIDUAL) != 0u) sum += float(residual[i]);
    y[i] = ftype(activate(sum, p.act));
}
