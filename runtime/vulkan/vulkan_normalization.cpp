// Row ops over the last dimension: layer norm, l2 normalize, softmax (see rows.glsl for the two
// ways a row is reduced).
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

namespace {

void record_row_op(Recording& r, const NodeArgs& a, ShaderId id, std::vector<Binding> bindings, float eps = 0.0f) {
    const RowsView rows = rows_view(a);
    const KernelVariants& v = r.variants();
    const Grid grid = v.row_per_workgroup ? r.line(static_cast<uint64_t>(rows.rows))
                                          : r.line_for(static_cast<uint64_t>(rows.rows), v.row_wg);
    const shader::RowsPush push{push_u32(rows.rows), push_u32(rows.width), eps};
    r.dispatch(a, {Recording::shader(id, a.output.dtype), {v.row_wg, 1, 1, v.row_per_workgroup ? 1u : 0u}},
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
