#version 450
#extension GL_GOOGLE_include_directive : require
// NCHW average pooling, no padding, floor; one output element per invocation.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { ftype x[]; };
layout(std430, binding = 1) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { AvgPool2dPush p; };  // shader_interface.h

void main() {
    uint i = global_index();
    if (i >= p.planes * p.out_h * p.out_w) return;
    uint ox = i % p.out_w;
    uint oy = (i / p.out_w) % p.out_h;
    uint plane = i / (p.out_w * p.out_h);
    uint base = plane * p.in_h * p.in_w + oy * p.stride_h * p.in_w + ox * p.stride_w;
    float sum = 0.0;
    for (uint ky = 0u; ky < p.kernel_h; ++ky) {
        for (uint kx = 0u; kx < p.kernel_w; ++kx) sum += float(x[base + ky * p.in_w + kx]);
    }
    y[i] = ftype(sum / float(p.kernel_h * p.kernel_w));
}
