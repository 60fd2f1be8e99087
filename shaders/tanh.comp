#version 450
#extension GL_GOOGLE_include_directive : require
// y = tanh(x), one element per invocation (BERT's pooler); finite for any finite x.
#include "common.glsl"
#include "activation.glsl"

layout(std430, binding = 0) readonly buffer X { ftype x[]; };
layout(std430, binding = 1) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { TanhPush p; };  // shader_interface.h

void main() {
    uint i = global_index();
    if (i >= p.n) return;
    y[i] = ftype(tanh_safe(float(x[i])));
}
