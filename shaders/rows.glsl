// Row-wise ops over the last dimension. Include after common.glsl; call row_index() first, in
// uniform control flow, then row_lane() / row_lanes() / row_sum() / row_max(). A row is handled
// in one of four ways, by ROW_PER_WORKGROUP and the shader variant:
//   workgroup, plain build:      one workgroup per row, shared-memory tree reduction;
//   workgroup, "subgroup" build: one workgroup per row, subgroupAdd / subgroupMax within each
//                                subgroup, then the gl_NumSubgroups partials through shared memory
//                                (two barriers instead of log2(workgroup size) + 2);
//   invocation, plain build:     one invocation loops over its row (CPU devices, where barriers
//                                cost more than the reduction saves);
//   invocation, "subgroup" build: one subgroup per row, gl_NumSubgroups rows per workgroup, no
//                                shared memory or barriers.
// The subgroup build (-DSUBGROUP_OPS, "cliprt-variants: subgroup") needs subgroup arithmetic in
// compute shaders; it works for any subgroup size, partial subgroups included (a subgroup's lanes
// are counted with subgroupAdd, not taken from gl_SubgroupSize).
#ifdef SUBGROUP_OPS
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

layout(constant_id = 3) const bool ROW_PER_WORKGROUP = true;  // plain build: a power-of-two workgroup size

shared float row_scratch[gl_WorkGroupSize.x];

uint row_lane_ = 0u;
uint row_lanes_ = 1u;

uint row_index() {
    if (ROW_PER_WORKGROUP) {
        row_lane_ = gl_LocalInvocationID.x;
        row_lanes_ = gl_WorkGroupSize.x;
        return group_index();
    }
#ifdef SUBGROUP_OPS
    row_lane_ = subgroupExclusiveAdd(1u);
    row_lanes_ = subgroupAdd(1u);
    return group_index() * gl_NumSubgroups + gl_SubgroupID;
#else
    return global_index();
#endif
}
uint row_lane() { return row_lane_; }
uint row_lanes() { return row_lanes_; }

// Sum (or max) of v over the invocations that share a row. Every invocation that shares the row
// must call it (rows are uniform per workgroup, or per subgroup, so they do).
float row_sum(float v) {
#ifdef SUBGROUP_OPS
    float r = subgroupAdd(v);
    if (!ROW_PER_WORKGROUP || gl_NumSubgroups == 1u) return r;
    if (subgroupElect()) row_scratch[gl_SubgroupID] = r;
    barrier();
    float total = 0.0;
    for (uint s = 0u; s < gl_NumSubgroups; ++s) total += row_scratch[s];
    barrier();  // row_scratch is reused by the next reduction
    return total;
#else
    if (!ROW_PER_WORKGROUP) return v;
    uint lane = gl_LocalInvocationID.x;
    row_scratch[lane] = v;
    barrier();
    for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1) {
        if (lane < s) row_scratch[lane] += row_scratch[lane + s];
        barrier();
    }
    float total = row_scratch[0];
    barrier();  // row_scratch is reused by the next reduction
    return total;
#endif
}

float row_max(float v) {
#ifdef SUBGROUP_OPS
    float r = subgroupMax(v);
    if (!ROW_PER_WORKGROUP || gl_NumSubgroups == 1u) return r;
    if (subgroupElect()) row_scratch[gl_SubgroupID] = r;
    barrier();
    float total = row_scratch[0];
    for (uint s = 1u; s < gl_NumSubgroups; ++s) total = max(total, row_scratch[s]);
    barrier();
    return total;
#else
    if (!ROW_PER_WORKGROUP) return v;
    uint lane = gl_LocalInvocationID.x;
    row_scratch[lane] = v;
    barrier();
    for (uint s = gl_WorkGroupSize.x / 2u; s > 0u; s >>= 1) {
        if (lane < s) row_scratch[lane] = max(row_scratch[lane], row_scratch[lane + s]);
        barrier();
    }
    float total = row_scratch[0];
    barrier();
    return total;
#endif
}
