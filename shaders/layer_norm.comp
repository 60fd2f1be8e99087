#version 450
#extension GL_GOOGLE_include_directive : require
// cliprt-variants: subgroup
// y = (x - mean) / sqrt(var + eps) * gamma + beta over the last dimension (biased variance, two passes).
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer X { ftype x[]; };
layout(std430, binding = 1) readonly buffer Gamma { ftype gamma[]; };
layout(std430, binding = 2) readonly buffer Beta { ftype beta[]; };
layout(std430, binding = 3) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { RowsPush p; };  // shader_interface.h

void main() {
    uint row = row_index();
    if (row >= p.rows) return;
    uint base = row * p.width;
    float sum = 0.0;
    for (uint j = row_lane(); j < p.width; j += row_lanes()) sum += float(x[base + j]);
    float mean = row_sum(sum) / float(p.width);
    float squares = 0.0;
    for (uint j = row_lane(); j < p.width; j += row_lanes()) {
        float d = float(x[base + j]) - mean;
        squares += d * d;
    }
    float inv_std = inversesqrt(row_sum(squares) / float(p.width) + p.eps);
    for (uint j = row_lane(); j < p.width; j += row_lanes()) {
        y[base + j] = ftype((float(x[base + j]) - mean) * inv_std * float(gamma[j]) + float(beta[j]));
    }
}
