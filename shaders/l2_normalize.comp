#version 450
#extension GL_GOOGLE_include_directive : require
// cliprt-variants: subgroup
// y = x / max(|x|, 1e-12) over the last dimension (torch.nn.functional.normalize).
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer X { ftype x[]; };
layout(std430, binding = 1) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { RowsPush p; };  // shader_interface.h

void main() {
    uint row = row_index();
    if (row >= p.rows) return;
    uint base = row * p.width;
    float squares = 0.0;
    for (uint j = row_lane(); j < p.width; j += row_lanes()) {
        float v = float(x[base + j]);
        squares += v * v;
    }
    float norm = max(sqrt(row_sum(squares)), 1e-12);
    for (uint j = row_lane(); j < p.width; j += row_lanes()) y[base + j] = ftype(float(x[base + j]) / norm);
}
