// Data movement: embedding gather, concat and permute (both strided copies, see copy.comp).
#include <algorithm>

#include "cliprt/error.h"
#include "vulkan/vulkan_ops.h"
#include "vulkan/vulkan_strides.h"

namespace cliprt::vk {

namespace {

// dst[dst_offset + coords . dst_strides] = src[coords . src_strides] over `dims`.
void strided_copy(Recording& r, const NodeArgs& a, const TensorArg& src, const std::vector<int64_t>& dims,
                  const std::vector<int64_t>& src_strides, const std::vector<int64_t>& dst_strides,
                  int64_t dst_offset) {
    const StridedLoop loop = merge_dims(dims, {src_strides, dst_strides});
    if (static_cast<int>(loop.dims.size()) > kMaxStridedRank)
        fail("vulkan: ", op_name(a.node.op), " '", a.node.name, "' needs more than ", kMaxStridedRank, " dimensions");
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    if (n == 0) return;
    const size_t rank = loop.dims.size();
    shader::CopyPush push{push_u32(n), static_cast<uint32_t>(rank), push_u32(dst_offset), {}, {}, {}};
    for (size_t d = 0; d < kMaxStridedRank; ++d) {
        push.dims[d] = d < rank ? push_u32(loop.dims[d]) : 1;
        push.src_strides[d] = d < rank ? push_u32(loop.strides[0][d]) : 0;
        push.dst_strides[d] = d < rank ? push_u32(loop.strides[1][d]) : 0;
    }
    const uint32_t wg = r.variants().elementwise_wg;
    r.dispatch(a, {Recording::shader(ShaderId::copy, a.output.dtype), {wg, 1, 1}}, {r.read(src), r.write(a.output)},
               push, r.line_for(static_cast<uint64_t>(n), wg));
}

}  // namespace

void record_embedding(Recording& r, const NodeArgs& a) {
    const TensorArg& ids = a.inputs[0];
    const TensorArg& table = a.inputs[1];
    const int64_t vocab = table.shape[0];
    const int64_t width = table.shape[1];
    const int64_t n = a.output.shape.numel();
    const uint32_t slot = r.add_id_check(IdCheck{a.node.name, ids, vocab});
    const uint32_t wg = r.variants().elementwise_wg;
    // A table past one binding (ViT-L-14's [49408, 768] in f32 is 151 MB) is bound in pieces of
    // rows, one dispatch each over every output element.
    const int64_t piece =
        r.fits(table) ? vocab : rows_per_binding(r, table.dtype, width, aligned_rows(r, table.dtype, width), vocab);
    if (piece == 0) fail("vulkan: embedding '", a.node.name, "' has rows too wide for one binding");
    for (int64_t first = 0; first < vocab; first += piece) {
        const int64_t rows = std::min(piece, vocab - first);
        const shader::EmbeddingPush push{push_u32(n), push_u32(width), push_u32(vocab),
                                         slot,        push_u32(first), push_u32(rows)};
        const TensorArg part = piece == vocab ? table : span(table, first * width, rows * width);
        r.dispatch(a, {Recording::shader(ShaderId::embedding, a.output.dtype), {wg, 1, 1}},
                   {r.read(ids), r.read(part), r.write(a.output), r.id_status()}, push, r.line_for(n, wg));
    }
}

void record_concat(Recording& r, const NodeArgs& a) {
    const int axis = a.output.shape.normalize_axis(a.node.get<ConcatParams>().axis);
    const std::vector<int64_t> out_strides = row_major_strides(a.output.shape);
    int64_t offset = 0;
    for (const TensorArg& in : a.inputs) {
        // The slice of the output this input fills; broadcast dimensions read with stride 0.
        std::vector<int64_t> dims = a.output.shape.dims();
        dims[static_cast<size_t>(axis)] = in.shape[axis];
        std::vector<int64_t> src_strides = row_major_strides(in.shape);
        for (int d = 0; d < in.shape.rank(); ++d) {
            if (in.shape[d] == 1 && dims[static_cast<size_t>(d)] != 1) src_strides[static_cast<size_t>(d)] = 0;
        }
        strided_copy(r, a, in, dims, src_strides, out_strides, offset * out_strides[static_cast<size_t>(axis)]);
        offset += in.shape[axis];
    }
}

void record_permute(Recording& r, const NodeArgs& a) {
    const std::vector<int>& perm = a.node.get<PermuteParams>().perm;
    const std::vector<int64_t> in_strides = row_major_strides(a.inputs[0].shape);
    std::vector<int64_t> src_strides;
    for (int p : perm) src_strides.push_back(in_strides[static_cast<size_t>(p)]);
    strided_copy(r, a, a.inputs[0], a.output.shape.dims(), src_strides, row_major_strides(a.output.shape), 0);
}

std::optional<std::string> strided_unsupported(const Graph& graph, const Node& node) {
    // merge_dims can only reduce the rank; anything up to kMaxStridedRank always fits.
    if (graph.shape(node.output).rank() <= kMaxStridedRank) return std::nullopt;
    std::vector<std::vector<int64_t>> strides;
    const Shape& out = graph.shape(node.output);
    if (node.op == OpKind::Permute) {
        const std::vector<int64_t> in = row_major_strides(graph.shape(node.inputs[0]));
        std::vector<int64_t> src;
        for (int p : node.get<PermuteParams>().perm) src.push_back(in[static_cast<size_t>(p)]);
        strides = {src, row_major_strides(out)};
    } else {
        return "tensors of rank " + std::to_string(out.rank()) + " (the shaders handle up to " +
               std::to_string(kMaxStridedRank) + ")";
    }
    if (static_cast<int>(merge_dims(out.dims(), strides).dims.size()) > kMaxStridedRank)
        return "a permutation that needs more than " + std::to_string(kMaxStridedRank) + " dimensions";
    return std::nullopt;
}

}  // namespace cliprt::vk
