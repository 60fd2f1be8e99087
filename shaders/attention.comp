#version 450
#extension GL_GOOGLE_include_directive : require
// Fused multi-head attention with online softmax: out = softmax(s * q k^T) v per head, never
// materializing the score matrix. A workgroup owns Q consecutive queries of one (batch, head); each
// invocation owns one query row, its running max, running sum and D accumulators, and walks the
// keys KT at a time. Keys and values reach the invocations in one of three ways (MODE):
//   MODE_SHARED:    the workgroup stages each key/value tile in shared memory (GPUs);
//   MODE_REGISTERS: every invocation reads whole key and value rows itself;
//   MODE_SUBGROUP:  the workgroup is one subgroup of SG lanes; each lane loads every SG-th element
//                   of a key or value row and subgroupBroadcast shares them, so each element is
//                   loaded once per workgroup (CPU devices, where loads dominate).
//
// Scaled-cosine attention (COSINE) l2-normalizes q and k per head and uses logit_mult[h] as the
// score multiplier; HEAD_SCALE multiplies each head's output by head_scale[h]. CAUSAL lets query i
// see keys 0..i. q may be broadcast over the batch (q_batch_stride 0); packed qkv is the same buffer
// bound three times with column offsets.
#include "common.glsl"

#define MODE_REGISTERS 0u
#define MODE_SHARED 1u
#define MODE_SUBGROUP 2u

layout(constant_id = 3) const uint D = 64;  // head dim
layout(constant_id = 4) const uint MODE = MODE_REGISTERS;
layout(constant_id = 5) const uint KT = 8;  // keys per tile
layout(constant_id = 6) const bool COSINE = false;
layout(constant_id = 7) const bool HEAD_SCALE = false;
layout(constant_id = 8) const bool CAUSAL = false;
layout(constant_id = 9) const uint SG = 8;  // subgroup size (MODE_SUBGROUP: also the workgroup size)

const bool USE_SHARED = MODE == MODE_SHARED;
const uint CHUNKS = (D + SG - 1u) / SG;  // MODE_SUBGROUP: elements of a row each lane loads

layout(std430, binding = 0) readonly buffer Q { ftype q[]; };
layout(std430, binding = 1) readonly buffer K { ftype k[]; };
layout(std430, binding = 2) readonly buffer V { ftype v[]; };
layout(std430, binding = 3) readonly buffer LogitMult { ftype logit_mult[]; };  // bound to q when unused
layout(std430, binding = 4) readonly buffer HeadScale { ftype head_scale[]; };  // bound to q when unused
layout(std430, binding = 5) writeonly buffer Out { ftype out_[]; };
layout(push_constant) uniform Params {
    uint q_len;
    uint kv_len;
    uint width;  // heads * D: the row width of the output
    uint q_batch_stride;
    uint q_row_stride;
    uint q_col;
    uint k_batch_stride;
    uint k_row_stride;
    uint k_col;
    uint v_batch_stride;
    uint v_row_stride;
    uint v_col;
    float scale;
} p;

const float NEG_BIG = -3.402823466e38;  // finite "minus infinity": exp of differences stays defined

shared float k_tile[USE_SHARED ? KT * D : 1u];
shared float v_tile[USE_SHARED ? KT * D : 1u];
shared float k_inv_norm[USE_SHARED ? KT : 1u];

float qv[D];
float o[D];

float inv_norm_of_k(uint base) {
    float squares = 0.0;
    for (uint d = 0u; d < D; ++d) {
        float x = float(k[base + d]);
        squares += x * x;
    }
    return 1.0 / max(sqrt(squares), 1e-12);
}

void main() {
    uint h = gl_WorkGroupID.y;
    uint b = gl_WorkGroupID.z;
    uint i = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    bool valid = i < p.q_len;
    uint qi = min(i, p.q_len - 1u);
    uint keys = CAUSAL ? qi + 1u : p.kv_len;

    uint q_base = b * p.q_batch_stride + qi * p.q_row_stride + p.q_col + h * D;
    float squares = 0.0;
    for (uint d = 0u; d < D; ++d) {
        qv[d] = float(q[q_base + d]);
        squares += qv[d] * qv[d];
        o[d] = 0.0;
    }
    // Fold the score multiplier (and q's normalization) into q once.
    float mult = COSINE ? float(logit_mult[h]) / max(sqrt(squares), 1e-12) : p.scale;
    for (uint d = 0u; d < D; ++d) qv[d] *= mult;

    uint k_base = b * p.k_batch_stride + p.k_col + h * D;
    uint v_base = b * p.v_batch_stride + p.v_col + h * D;
    float m = NEG_BIG;
    float l = 0.0;
    float s[KT];

    // The tiles every invocation of the workgroup walks (uniform, for the barriers).
    uint last_query = min(gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_WorkGroupSize.x, p.q_len) - 1u;
    uint group_keys = CAUSAL ? min(last_query + 1u, p.kv_len) : p.kv_len;
    // Shared and subgroup modes need every invocation on every tile (barriers, broadcasts).
    uint walk = MODE == MODE_REGISTERS ? keys : group_keys;
    uint lane = gl_SubgroupInvocationID;

    for (uint j0 = 0u; j0 < walk; j0 += KT) {
        if (USE_SHARED) {
            for (uint e = gl_LocalInvocationID.x; e < KT * D; e += gl_WorkGroupSize.x) {
                uint t = e / D;
                uint d = e - t * D;
                uint j = min(j0 + t, p.kv_len - 1u);
                k_tile[e] = float(k[k_base + j * p.k_row_stride + d]);
                v_tile[e] = float(v[v_base + j * p.v_row_stride + d]);
            }
            if (COSINE) {
                for (uint t = gl_LocalInvocationID.x; t < KT; t += gl_WorkGroupSize.x) {
                    k_inv_norm[t] = inv_norm_of_k(k_base + min(j0 + t, p.kv_len - 1u) * p.k_row_stride);
                }
            }
            barrier();
        }
        float tile_max = NEG_BIG;
        [[unroll]] for (uint t = 0u; t < KT; ++t) {
            uint j = j0 + t;
            s[t] = NEG_BIG;
            if (MODE == MODE_SUBGROUP) {
                // Every lane takes part in the broadcasts, visible key or not.
                uint kr = k_base + min(j, p.kv_len - 1u) * p.k_row_stride;
                float dot_qk = 0.0;
                float squares_k = 0.0;
                [[unroll]] for (uint c = 0u; c < CHUNKS; ++c) {
                    float part = float(k[kr + min(c * SG + lane, D - 1u)]);
                    [[unroll]] for (uint e = 0u; e < SG; ++e) {
                        if (c * SG + e < D) {
                            float kd = subgroupBroadcast(part, e);
                            dot_qk = fma(qv[c * SG + e], kd, dot_qk);
                            squares_k = fma(kd, kd, squares_k);
                        }
                    }
                }
                if (COSINE) dot_qk /= max(sqrt(squares_k), 1e-12);
                if (j < keys) {
                    s[t] = dot_qk;
                    tile_max = max(tile_max, dot_qk);
                }
            } else if (j < keys) {
                float dot_qk = 0.0;
                if (USE_SHARED) {
                    for (uint d = 0u; d < D; ++d) dot_qk = fma(qv[d], k_tile[t * D + d], dot_qk);
                    if (COSINE) dot_qk *= k_inv_norm[t];
                } else {
                    uint kr = k_base + j * p.k_row_stride;
                    for (uint d = 0u; d < D; ++d) dot_qk = fma(qv[d], float(k[kr + d]), dot_qk);
                    if (COSINE) dot_qk *= inv_norm_of_k(kr);
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
            uint j = j0 + t;
            if (MODE == MODE_SUBGROUP) {
                float pr = j < keys ? exp(s[t] - m_new) : 0.0;
                l += pr;
                uint vr = v_base + min(j, p.kv_len - 1u) * p.v_row_stride;
                [[unroll]] for (uint c = 0u; c < CHUNKS; ++c) {
                    float part = float(v[vr + min(c * SG + lane, D - 1u)]);
                    [[unroll]] for (uint e = 0u; e < SG; ++e) {
                        if (c * SG + e < D) o[c * SG + e] = fma(pr, subgroupBroadcast(part, e), o[c * SG + e]);
                    }
                }
            } else if (j < keys) {
                float pr = exp(s[t] - m_new);
                l += pr;
                if (USE_SHARED) {
                    for (uint d = 0u; d < D; ++d) o[d] = fma(pr, v_tile[t * D + d], o[d]);
                } else {
                    uint vr = v_base + j * p.v_row_stride;
                    for (uint d = 0u; d < D; ++d) o[d] = fma(pr, float(v[vr + d]), o[d]);
                }
            }
        }
        m = m_new;
        if (USE_SHARED) barrier();
    }

    if (!valid) return;
    float out_scale = (HEAD_SCALE ? float(head_scale[h]) : 1.0) / l;
    uint out_base = (b * p.q_len + i) * p.width + h * D;
    for (uint d = 0u; d < D; ++d) out_[out_base + d] = ftype(o[d] * out_scale);
}
