#version 450
#extension GL_GOOGLE_include_directive : require
// y = a (op) b, b broadcast to a's shape. The host merges dimensions so that rank is small; b's
// stride is 0 along broadcast dimensions.
#include "common.glsl"

layout(constant_id = 3) const uint OP = BINARY_ADD;  // BINARY_ADD or BINARY_MUL

layout(std430, binding = 0) readonly buffer A { ftype a[]; };
layout(std430, binding = 1) readonly buffer B { ftype b[]; };
layout(std430, binding = 2) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { BinaryPush p; };  // shader_interface.h

void main() {
    uint i = global_index();
    if (i >= p.n) return;
    uint rest = i;
    uint bi = 0;
    for (int d = int(p.rank) - 1; d >= 0; --d) {
        uint c = rest % p.dims[d];
        rest /= p.dims[d];
        bi += c * p.b_strides[d];
    }
    float va = float(a[i]);
    float vb = float(b[bi]);
    y[i] = ftype(OP == BINARY_ADD ? va + vb : va * vb);
}
