// Row ops over the last dimension: layer norm, l2 normalize, softmax (see rows.glsl for the two
// ways a row is reduced).
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

namespace {

struct Rows {
    int64_t rows, width;
};

Rows rows_of(const Shape& s) {
    const int64_t width = s.rank() > 0 ? s[-1] : 1;
    return Rows{width > 0 ? s.numel() / width : 0, width};
}

void record_row_op(Recording& r, const NodeArgs& a, const char* stem, std::vector<Binding> bindings, Push push) {
    const Rows rows = rows_of(a.inputs[0].shape);
    const KernelVariants& v = r.variants();
    const Grid grid = v.row_per_workgroup ? r.line(static_cast<uint64_t>(rows.rows)) : r.line_for(static_cast<uint64_t>(rows.rows), v.row_wg);
    r.dispatch(a, {Recording::shader(stem, a.output.dtype), {v.row_wg, 1, 1, v.row_per_workgroup ? 1u : 0u}}, std::move(bindings),
               push, grid);
}

}  // namespace

void record_layer_norm(Recording& r, const NodeArgs& a) {
    const Rows rows = rows_of(a.inputs[0].shape);
    record_row_op(r, a, "layer_norm", {r.read(a.inputs[0]), r.read(a.inputs[1]), r.read(a.inputs[2]), r.write(a.output)},
                  Push().u(rows.rows).u(rows.width).f(a.node.get<LayerNormParams>().eps));
}

void record_l2_normalize(Recording& r, const NodeArgs& a) {
    const Rows rows = rows_of(a.inputs[0].shape);
    record_row_op(r, a, "l2_normalize", {r.read(a.inputs[0]), r.write(a.output)}, Push().u(rows.rows).u(rows.width));
}

void record_softmax(Recording& r, const NodeArgs& a) {
    const Rows rows = rows_of(a.inputs[0].shape);
    record_row_op(r, a, "softmax", {r.read(a.inputs[0]), r.write(a.output)}, Push().u(rows.rows).u(rows.width));
}

}  // namespace cliprt::vk
