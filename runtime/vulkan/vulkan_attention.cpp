// Fused attention (attention.comp): one workgroup per (query tile, head, batch), online softmax.
#include <algorithm>

#include "cliprt/error.h"
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

namespace {

constexpr int64_t kMaxHeadDim = 256;  // q and the output row of a query live in registers

}  // namespace

std::optional<std::string> attention_unsupported(const Graph& graph, const Node& node) {
    const int64_t head_dim = attention_head_dim(graph, node);
    if (head_dim > kMaxHeadDim)
        return "head dim " + std::to_string(head_dim) + " (the shader handles up to " + std::to_string(kMaxHeadDim) +
               ")";
    return std::nullopt;
}

void record_attention(Recording& r, const NodeArgs& a) {
    const AttentionView view = attention_view(a);
    const AttentionParams& p = view.params;
    const int64_t head_dim = view.head_dim;
    const TensorArg* q = view.q.arg;
    const TensorArg* k = view.k.arg;
    const TensorArg* v = view.v.arg;
    const shader::AttentionPush push{push_u32(view.q_len),
                                     push_u32(view.kv_len),
                                     push_u32(view.width),
                                     push_u32(view.q.batch_stride),
                                     push_u32(view.q.row_stride),
                                     push_u32(view.q.offset),
                                     push_u32(view.k.batch_stride),
                                     push_u32(view.k.row_stride),
                                     push_u32(view.k.offset),
                                     push_u32(view.v.batch_stride),
                                     push_u32(view.v.row_stride),
                                     push_u32(view.v.offset),
                                     p.scale,
                                     (p.causal ? shader::ATTENTION_CAUSAL : 0u) |
                                         (p.cosine ? shader::ATTENTION_COSINE : 0u) |
                                         (p.has_head_scale ? shader::ATTENTION_HEAD_SCALE : 0u) |
                                         (p.has_key_mask ? shader::ATTENTION_KEY_MASK : 0u)};
    const TensorArg& logit_mult = view.logit_mult ? *view.logit_mult : *q;  // unused bindings get q
    const TensorArg& head_scale = view.head_scale ? *view.head_scale : *q;
    const TensorArg& key_mask = view.key_mask ? *view.key_mask : *q;

    const KernelVariants& kv = r.variants();
    uint32_t key_tile = kv.attention_key_tile;
    if (kv.attention_mode == AttentionMode::Shared) {
        // Two key/value tiles of key_tile x head_dim floats and key_tile norms must fit.
        const uint64_t budget = r.limits().maxComputeSharedMemorySize;
        while (key_tile > 1 && (2 * key_tile * static_cast<uint64_t>(head_dim) + key_tile) * sizeof(float) > budget)
            key_tile /= 2;
    }
    // Invocations per workgroup; with subgroups, a query per subgroup: at least queries /
    // subgroup_size of them per workgroup, whatever size the driver runs.
    const uint32_t queries = kv.attention_queries;
    const bool subgroup = kv.attention_mode == AttentionMode::Subgroup;
    const uint32_t queries_per_group = subgroup ? std::max<uint32_t>(1, queries / kv.subgroup_size) : queries;
    // Rows of q, k and v start at multiples of the head dim: four floats per texel when it allows.
    const bool vec4 = head_dim % 4 == 0;
    const bool texel = r.texel_ok(*q, vec4) && r.texel_ok(*k, vec4) && r.texel_ok(*v, vec4);
    std::vector<uint32_t> spec{queries,
                               1,
                               1,
                               static_cast<uint32_t>(head_dim),
                               static_cast<uint32_t>(kv.attention_mode),
                               key_tile,
                               texel && vec4 ? 1u : 0u};
    const Grid grid{static_cast<uint32_t>(ceil_div(static_cast<uint64_t>(view.q_len), queries_per_group)),
                    static_cast<uint32_t>(view.heads), static_cast<uint32_t>(view.batch)};
    auto input = [&](const TensorArg& t) { return texel ? r.texel(t, vec4) : r.read(t); };
    r.dispatch(
        a, {Recording::shader(ShaderId::attention, a.output.dtype, texel, subgroup), std::move(spec)},
        {input(*q), input(*k), input(*v), r.read(logit_mult), r.read(head_scale), r.write(a.output), r.read(key_mask)},
        push, grid);
}

}  // namespace cliprt::vk
