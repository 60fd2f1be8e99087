#version 450
#extension GL_GOOGLE_include_directive : require
// cliprt-variants: subgroup
// Softmax over the last dimension: max, sum of exp, normalize.
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer X { ftype x[]; };
layout(std430, binding = 1) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { RowsPush p; };  // shader_interface.h

void main() {
    uint row = row_index();
    if (row >= p.rows) return;
    uint base = row * p.width;
    float m = -3.402823466e38;
    for (uint j = row_lane(); j < p.width; j += row_lanes()) m = max(m, float(x[base + j]));
    m = row_max(m);
    float sum = 0.0;
    for (uint j = row_lane(); j < p.width; j += row_lanes()) sum += exp(float(x[base + j]) - m);
    float inv = 1.0 / row_sum(sum);
    for (uint j = row_lane(); j < p.width; j += row_lanes()) y[base + j] = ftype(exp(float(x[base + j]) - m) * inv);
}
