#version 450
#extension GL_GOOGLE_include_directive : require
// y[r, :] = table[ids[r], :]. An id outside [0, vocab) is never used to index: the first such row
// is recorded in status[slot] (atomicMin) and the program reports it after the run. A table larger
// than one binding is bound in pieces of rows [first, first + rows), one dispatch each: a dispatch
// writes only the rows whose id it holds (the piece with row 0 also the rows of bad ids).
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
        if (p.first != 0u) return;
        if (col == 0u) atomicMin(status[p.slot], row);
        id = 0;
    }
    uint local = uint(id) - p.first;  // wraps around for ids below this piece
    if (local >= p.rows) return;
    y[i] = table[local * p.width + col];
}
