// Row ops over the last dimension: layer norm, l2 normalize, softmax (see rows.glsl for the two
// ways a row is reduced).
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

namespace {

void record_row_op(Recording& r, const NodeArgs& a, const char* stem, std::vector<Binding> bindings, Push push) {
    const RowsView rows = rows_view(a);
    const KernelVariants& v = r.variants();
    const Grid grid = v.row_per_workgroup ? r.line(static_cast<uint64_t>(rows.rows)) : r.line_for(static_cast<uint64_t>(rows.rows), v.row_wg);
    r.dispatch(a, {Recording::shader(stem, a.output.dtype), {v.row_wg, 1, 1, v.row_per_workgroup ? 1u : 0u}}, std::move(bindings),
               push, grid);
}

}  // namespace

void record_layer_norm(Recording& r, const NodeArgs& a) {
    const RowsView rows = rows_view(a);
    record_row_op(r, a, "layer_norm", {r.read(rows.x), r.read(a.inputs[1]), r.read(a.inputs[2]), r.write(a.output)},
                  Push().u(rows.rows).u(rows.width).f(a.node.get<LayerNormParams>().eps));
}

void record_l2_normalize(Recording& r, const NodeArgs& a) {
    const RowsView rows = rows_view(a);
    record_row_op(r, a, "l2_normalize", {r.read(rows.x), r.write(a.output)}, Push().u(rows.rows).u(rows.width));
}

void record_softmax(Recording& r, const NodeArgs& a) {
    const RowsView rows = rows_view(a);
    record_row_op(r, a, "softmax", {r.read(rows.x), r.write(a.output)}, Push().u(rows.rows).u(rows.width));
}

}  // namespace cliprt::vk
