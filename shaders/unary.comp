#version 450
#extension GL_GOOGLE_include_directive : require
// y = alpha * act(x) + beta, one element per invocation.
#include "common.glsl"
#include "activation.glsl"

layout(constant_id = 3) const uint ACT = 0;

layout(std430, binding = 0) readonly buffer X { ftype x[]; };
layout(std430, binding = 1) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { UnaryPush p; };  // shader_interface.h

void main() {
    uint i = global_index();
    if (i >= p.n) return;
    y[i] = ftype(p.alpha * activate(float(x[i]), ACT) + p.beta);
}
