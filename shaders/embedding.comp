#version 450
#extension GL_GOOGLE_include_directive : require
// y[r, :] = table[ids[r], :]. An id outside [0, vocab) is never used to index: the first such row
// is recorded in status[slot] (atomicMin) and the program reports it after the run.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Ids { int ids[]; };
layout(std430, binding = 1) readonly buffer Table { ftype table[]; };
layout(std430, binding = 2) writeonly buffer Y { ftype y[]; };
layout(std430, binding = 3) buffer Status { uint status[]; };
layout(push_constant) uniform Params { EmbeddingPush p; };  // shader_interface.h

void main() {
    uint i = global_index();
    if (i >= p.n) return;
    uint row = i / p.width;
    uint col = i - row * p.width;
    int id = ids[row];
    if (id < 0 || uint(id) >= p.vocab) {
        if (col == 0u) atomicMin(status[p.slot], row);
        id = 0;
    }
    y[i] = table[uint(id) * p.width + col];
}
