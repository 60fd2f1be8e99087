// Row ops over the last dimension: layer norm, l2 normalize, softmax (see rows.glsl for the four
// ways a row is reduced).
#include <algorithm>

#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

namespace {

void record_row_op(Recording& r, const NodeArgs& a, ShaderId id, std::vector<Binding> bindings, float eps = 0.0f) {
    const RowsView rows = rows_view(a);
    const KernelVariants& v = r.variants();
    const auto n = static_cast<uint64_t>(rows.rows);
    // A row per workgroup, per invocation, or (subgroups) per subgroup: at least row_wg /
    // subgroup_size subgroups per workgroup, whatever size the driver runs.
    const uint32_t per_group = !v.subgroups ? v.row_wg : std::max<uint32_t>(1, v.row_wg / v.subgroup_size);
    const Grid grid = v.row_per_workgroup ? r.line(n) : r.line(ceil_div(n, per_group));
    const shader::RowsPush push{push_u32(rows.rows), push_u32(rows.width), eps};
    r.dispatch(
        a, {Recording::shader(id, a.output.dtype, false, v.subgroups), {v.row_wg, 1, 1, v.row_per_workgroup ? 1u : 0u}},
        std::move(bindings), push, grid);
}

}  // namespace

void record_layer_norm(Recording& r, const NodeArgs& a) {
    record_row_op(r, a, ShaderId::layer_norm,
                  {r.read(a.inputs[0]), r.read(a.inputs[1]), r.read(a.inputs[2]), r.write(a.output)},
                  a.node.get<LayerNormParams>().eps);
}

void record_l2_normalize(Recording& r, const NodeArgs& a) {
    record_row_op(r, a, ShaderId::l2_normalize, {r.read(a.inputs[0]), r.write(a.output)});
}

void record_softmax(Recording& r, const NodeArgs& a) {
    record_row_op(r, a, ShaderId::softmax, {r.read(a.inputs[0]), r.write(a.output)});
}

}  // namespace cliprt::vk
