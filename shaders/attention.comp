#version 450
#extension GL_GOOGLE_include_directive : require
// cliprt-variants: texel subgroup
// Fused multi-head attention with online softmax: out = softmax(s * q k^T) v per head, never
// materializing the score matrix. A workgroup owns Q consecutive queries of one (batch, head); each
// invocation owns one query row, its running max, running sum and D accumulators, and walks the
// keys KT at a time. Keys and values reach the invocations in one of two ways (MODE):
//   MODE_SHARED:    the workgroup stages each key/value tile in shared memory (GPUs);
//   MODE_REGISTERS: every invocation reads whole key and value rows itself, four elements per
//                   load; with texel-buffer loads (inputs.glsl) the kernel for CPU devices;
//   MODE_SUBGROUP:  (the "subgroup" build, -DSUBGROUP_OPS) a subgroup owns each query, the
//                   workgroup gl_NumSubgroups of them; each lane walks every lanes-th key as
//                   MODE_REGISTERS does with its own running max, sum and accumulators, and the
//                   lanes' row max, sum and outputs are combined with subgroupMax / subgroupAdd
//                   at the end. Any subgroup size, partial subgroups included (lanes are counted
//                   with subgroupAdd).
//
// Scaled-cosine attention (ATTENTION_COSINE) l2-normalizes q and k per head and uses logit_mult[h]
// as the score multiplier; ATTENTION_HEAD_SCALE multiplies each head's output by head_scale[h];
// ATTENTION_CAUSAL lets query i see keys 0..i; ATTENTION_KEY_MASK hides key j of batch b where
// key_mask[b * kv_len + j] is 0 (a query that sees no key gives zeros). q may be broadcast over the batch (q_batch_stride
// 0); packed qkv is the same buffer bound three times with column offsets.
#include "common.glsl"
#include "inputs.glsl"
#ifdef SUBGROUP_OPS
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

layout(constant_id = 3) const uint D = 64;  // head dim
layout(constant_id = 4) const uint MODE = MODE_REGISTERS;
layout(constant_id = 5) const uint KT = 8;  // keys per tile
layout(constant_id = 6) const bool VEC4 = false;  // texel views of q, k, v hold 4 floats (D % 4 == 0)

// Options in push constants (flags ATTENTION_*), so one pipeline per head dim serves every
// attention of a model.

const bool USE_SHARED = MODE == MODE_SHARED;
#ifdef SUBGROUP_OPS
const bool USE_SUBGROUP = MODE == MODE_SUBGROUP;
#else
const bool USE_SUBGROUP = false;  // the plain build has no subgroup mode
#endif

FLOAT_INPUT(0, q)
FLOAT_INPUT(1, k)
FLOAT_INPUT(2, v)
layout(std430, binding = 3) readonly buffer LogitMult { ftype logit_mult[]; };  // bound to q when unused
layout(std430, binding = 4) readonly buffer HeadScale { ftype head_scale[]; };  // bound to q when unused
layout(std430, binding = 5) writeonly buffer Out { ftype out_[]; };
layout(std430, binding = 6) readonly buffer KeyMask { int key_mask[]; };  // bound to q when unused
layout(push_constant) uniform Params { AttentionPush p; };  // shader_interface.h

const float NEG_BIG = -3.402823466e38;  // finite "minus infinity": exp of differences stays defined

shared float k_tile[USE_SHARED ? KT * D : 1u];
shared float v_tile[USE_SHARED ? KT * D : 1u];
shared float k_inv_norm[USE_SHARED ? KT : 1u];

float qv[D];
float o[D];

// q . k[base .. base + D) (q already scaled), four elements per load where possible.
float dot_row(uint base) {
    float sum = 0.0;
    uint d = 0u;
    [[unroll]] for (; d + 4u <= D; d += 4u) {
        vec4 kk = LOAD4(k, base + d, VEC4);
        sum = fma(qv[d], kk.x, fma(qv[d + 1u], kk.y, fma(qv[d + 2u], kk.z, fma(qv[d + 3u], kk.w, sum))));
    }
    for (; d < D; ++d) sum = fma(qv[d], LOAD1(k, base + d, VEC4), sum);
    return sum;
}

// o += pr * v[base .. base + D).
void accumulate_row(uint base, float pr) {
    uint d = 0u;
    [[unroll]] for (; d + 4u <= D; d += 4u) {
        vec4 vv = LOAD4(v, base + d, VEC4);
        o[d] = fma(pr, vv.x, o[d]);
        o[d + 1u] = fma(pr, vv.y, o[d + 1u]);
        o[d + 2u] = fma(pr, vv.z, o[d + 2u]);
        o[d + 3u] = fma(pr, vv.w, o[d + 3u]);
    }
    for (; d < D; ++d) o[d] = fma(pr, LOAD1(v, base + d, VEC4), o[d]);
}

float inv_norm_of_k(uint base) {
    float squares = 0.0;
    for (uint d = 0u; d < D; ++d) {
        float x = LOAD1(k, base + d, VEC4);
        squares += x * x;
    }
    return 1.0 / max(sqrt(squares), 1e-12);
}

void main() {
    bool causal = (p.flags & ATTENTION_CAUSAL) != 0u;
    bool cosine = (p.flags & ATTENTION_COSINE) != 0u;
    bool scale_heads = (p.flags & ATTENTION_HEAD_SCALE) != 0u;
    bool masked = (p.flags & ATTENTION_KEY_MASK) != 0u;
    uint h = gl_WorkGroupID.y;
    uint b = gl_WorkGroupID.z;
    uint i = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    // This invocation's share of the keys: every lanes-th from lane (1 and 0 but in MODE_SUBGROUP).
    uint lane = 0u;
    uint lanes = 1u;
#ifdef SUBGROUP_OPS
    if (USE_SUBGROUP) {
        lane = subgroupExclusiveAdd(1u);
        lanes = subgroupAdd(1u);
        i = gl_WorkGroupID.x * gl_NumSubgroups + gl_SubgroupID;
    }
#endif
    bool valid = i < p.q_len;
    uint qi = min(i, p.q_len - 1u);
    uint keys = causal ? qi + 1u : p.kv_len;

    uint q_base = b * p.q_batch_stride + qi * p.q_row_stride + p.q_col + h * D;
    float squares = 0.0;
    for (uint d = 0u; d < D; ++d) {
        qv[d] = LOAD1(q, q_base + d, VEC4);
        squares += qv[d] * qv[d];
        o[d] = 0.0;
    }
    // Fold the score multiplier (and q's normalization) into q once.
    float mult = cosine ? float(logit_mult[h]) / max(sqrt(squares), 1e-12) : p.scale;
    for (uint d = 0u; d < D; ++d) qv[d] *= mult;

    uint k_base = b * p.k_batch_stride + p.k_col + h * D;
    uint v_base = b * p.v_batch_stride + p.v_col + h * D;
    float m = NEG_BIG;
    float l = 0.0;
    float s[KT];

    // The tiles every invocation of the workgroup walks (uniform, for the barriers).
    uint last_query = min(gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_WorkGroupSize.x, p.q_len) - 1u;
    uint group_keys = causal ? min(last_query + 1u, p.kv_len) : p.kv_len;
    // The shared mode needs every invocation on every tile (barriers).
    uint walk = USE_SHARED ? group_keys : keys;

    for (uint j0 = 0u; j0 < walk; j0 += KT * lanes) {
        if (USE_SHARED) {
            for (uint e = gl_LocalInvocationID.x; e < KT * D; e += gl_WorkGroupSize.x) {
                uint t = e / D;
                uint d = e - t * D;
                uint j = min(j0 + t, p.kv_len - 1u);
                k_tile[e] = LOAD1(k, k_base + j * p.k_row_stride + d, VEC4);
                v_tile[e] = LOAD1(v, v_base + j * p.v_row_stride + d, VEC4);
            }
            if (cosine) {
                for (uint t = gl_LocalInvocationID.x; t < KT; t += gl_WorkGroupSize.x) {
                    k_inv_norm[t] = inv_norm_of_k(k_base + min(j0 + t, p.kv_len - 1u) * p.k_row_stride);
                }
            }
            barrier();
        }
        float tile_max = NEG_BIG;
        [[unroll]] for (uint t = 0u; t < KT; ++t) {
            uint j = j0 + t * lanes + lane;
            s[t] = NEG_BIG;
            if (j < keys && (!masked || key_mask[b * p.kv_len + j] != 0)) {
                float dot_qk = 0.0;
                if (USE_SHARED) {
                    for (uint d = 0u; d < D; ++d) dot_qk = fma(qv[d], k_tile[t * D + d], dot_qk);
                    if (cosine) dot_qk *= k_inv_norm[t];
                } else {
                    uint kr = k_base + j * p.k_row_stride;
                    dot_qk = dot_row(kr);
                    if (cosine) dot_qk *= inv_norm_of_k(kr);
                }
                s[t] = dot_qk;
                tile_max = max(tile_max, dot_qk);
            }
        }
        float m_new = max(m, tile_max);
        float correction = exp(m - m_new);
        l *= correction;
        for (uint d = 0u; d < D; ++d) o[d] *= correction;
        [[unroll]] for (uint t = 0u; t < KT; ++t) {
            uint j = j0 + t * lanes + lane;
            if (j < keys && (!masked || key_mask[b * p.kv_len + j] != 0)) {
                float pr = exp(s[t] - m_new);
                l += pr;
                if (USE_SHARED) {
                    for (uint d = 0u; d < D; ++d) o[d] = fma(pr, v_tile[t * D + d], o[d]);
                } else {
                    uint vr = v_base + j * p.v_row_stride;
                    accumulate_row(vr, pr);
                }
            }
        }
        m = m_new;
        if (USE_SHARED) barrier();
    }

#ifdef SUBGROUP_OPS
    if (USE_SUBGROUP) {
        // The query's row max over the lanes, each lane's sum and outputs rescaled to it, summed.
        // A lane that saw no key has m = NEG_BIG, l = 0 and o = 0, and contributes nothing.
        float m_row = subgroupMax(m);
        float c = exp(m - m_row);
        l = subgroupAdd(l * c);
        for (uint d = 0u; d < D; ++d) o[d] = subgroupAdd(o[d] * c);
    }
#endif

    if (!valid) return;
    // l is 0 only when the key mask hides every key this query could see: zeros, not NaN.
    float out_scale = l > 0.0 ? (scale_heads ? float(head_scale[h]) : 1.0) / l : 0.0;
    uint out_base = (b * p.q_len + i) * p.width + h * D;
    // MODE_SUBGROUP: every lane holds the whole row; each stores every lanes-th element.
    for (uint d = 0u; d < D; ++d) {
        if (d % lanes == lane) out_[out_base + d] = ftype(o[d] * out_scale);
    }
}
