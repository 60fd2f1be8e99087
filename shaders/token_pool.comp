#version 450
#extension GL_GOOGLE_include_directive : require
// [B, L, W] -> [B, W]: the token at a position chosen per batch row (first, last, argmax of ids,
// first eos id, position 0 when a row has none), the mean of tokens [mean_start, L), or the mean or
// maximum of the tokens whose mask entry (the ids binding) is nonzero, zeros when none is.
#include "common.glsl"

layout(constant_id = 3) const uint MODE = POOL_FIRST;  // POOL_*: cliprt::PoolMode

layout(std430, binding = 0) readonly buffer X { ftype x[]; };
layout(std430, binding = 1) readonly buffer Ids { int ids[]; };  // bound to x when unused
layout(std430, binding = 2) writeonly buffer Y { ftype y[]; };
layout(push_constant) uniform Params { TokenPoolPush p; };  // shader_interface.h

uint position(uint b) {
    if (MODE == POOL_FIRST) return 0u;
    if (MODE == POOL_LAST) return p.len - 1u;
    if (MODE == POOL_ARGMAX) {  // first maximum, as torch.argmax
        uint best = 0u;
        int best_id = ids[b * p.len];
        for (uint l = 1u; l < p.len; ++l) {
            int id = ids[b * p.len + l];
            if (id > best_id) {
                best_id = id;
                best = l;
            }
        }
        return best;
    }
    for (uint l = 0u; l < p.len; ++l) {
        if (ids[b * p.len + l] == p.eos_id) return l;
    }
    return 0u;  // no eos id: position 0, as torch.argmax(ids == eos_id) (graph.h TokenPoolParams)
}

void main() {
    uint i = global_index();
    if (i >= p.batch * p.width) return;
    uint b = i / p.width;
    uint w = i - b * p.width;
    if (MODE == POOL_MASKED_MEAN || MODE == POOL_MASKED_MAX) {
        float acc = MODE == POOL_MASKED_MAX ? -3.402823466e38 : 0.0;
        uint count = 0u;
        for (uint l = 0u; l < p.len; ++l) {
            if (ids[b * p.len + l] == 0) continue;
            float v = float(x[(b * p.len + l) * p.width + w]);
            acc = MODE == POOL_MASKED_MAX ? max(acc, v) : acc + v;
            count += 1u;
        }
        y[i] = ftype(count == 0u ? 0.0 : (MODE == POOL_MASKED_MAX ? acc : acc / float(count)));
        return;
    }
    if (MODE == POOL_MEAN) {
        float sum = 0.0;
        for (uint l = p.mean_start; l < p.len; ++l) sum += float(x[(b * p.len + l) * p.width + w]);
        y[i] = ftype(sum / float(p.len - p.mean_start));
        return;
    }
    y[i] = x[(b * p.len + position(b)) * p.width + w];
}
