#version 450
#extension GL_GOOGLE_include_directive : require
// Strided copy: dst[dst_offset + sum(c_d * dst_strides[d])] = src[sum(c_d * src_strides[d])] for
// every coordinate c of dims. Permute (src strides permuted) and each input of concat (dst strides
// of the output, src stride 0 along broadcast dimensions) are both this copy. Moves bits: 4-byte
// elements (f32 or i32) in the f32 variant, 2-byte elements in the f16 variant.
#include "common.glsl"

#ifdef STORAGE_F16
#define etype float16_t
#else
#define etype uint
#endif

layout(std430, binding = 0) readonly buffer Src { etype src[]; };
layout(std430, binding = 1) writeonly buffer Dst { etype dst[]; };
layout(push_constant) uniform Params { CopyPush p; };  // shader_interface.h

void main() {
    uint i = global_index();
    if (i >= p.n) return;
    uint rest = i;
    uint si = 0;
    uint di = p.dst_offset;
    for (int d = int(p.rank) - 1; d >= 0; --d) {
        uint c = rest % p.dims[d];
        rest /= p.dims[d];
        si += c * p.src_strides[d];
        di += c * p.dst_strides[d];
    }
    dst[di] = src[si];
}
