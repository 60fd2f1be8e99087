// Row-wise ops over the last dimension. A row is handled either by one whole workgroup with a
// shared-memory tree reduction (GPUs), or by a single invocation that loops over it (CPU devices,
// where barriers cost more than the reduction saves). Include after common.glsl.
layout(constant_id = 3) const bool ROW_PER_WORKGROUP = true;  // needs a power-of-two workgroup size

shared float row_scratch[gl_WorkGroupSize.x];

uint row_index() { return ROW_PER_WORKGROUP ? group_index() : global_index(); }
uint row_lane() { return ROW_PER_WORKGROUP ? gl_LocalInvocationID.x : 0u; }
uint row_lanes() { return ROW_PER_WORKGROUP ? gl_WorkGroupSize.x : 1u; }

// Sum (or max) of v over the invocations that share a row. Workgroup mode: every invocation of
// the workgroup must call it (rows are uniform per workgroup, so they do).
float row_sum(float v) {
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
}

float row_max(float v) {
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
}
