// Fused attention (attention.comp): one workgroup per (query tile, head, batch), online softmax.
#include <algorithm>

#include "cliprt/error.h"
#include "vulkan/vulkan_ops.h"

namespace cliprt::vk {

namespace {

constexpr int64_t kMaxHeadDim = 256;  // q and the output row of a query live in registers

}  // namespace

std::optional<std::string> attention_unsupported(const Graph& graph, const Node& node) {
    const AttentionParams& p = node.get<AttentionParams>();
    const int64_t head_dim = graph.shape(node.output)[2] / p.heads;
    if (head_dim > kMaxHeadDim) return "head dim " + std::to_string(head_dim) + " (the shader handles up to " + std::to_string(kMaxHeadDim) + ")";
    return std::nullopt;
}

void record_attention(Recording& r, const NodeArgs& a) {
    const AttentionParams& p = a.node.get<AttentionParams>();
    const int64_t width = a.output.shape[2];
    const int64_t head_dim = width / p.heads;
    const int64_t batch = a.output.shape[0];
    const int64_t q_len = a.output.shape[1];
    size_t next = 0;
    const TensorArg* q = &a.inputs[next++];
    const TensorArg* k = q;
    const TensorArg* v = q;
    Push push;
    if (p.packed_qkv) {
        const int64_t row = q->shape[2];
        push.u(q_len).u(q_len).u(width);
        push.u(q_len * row).u(row).u(0).u(q_len * row).u(row).u(width).u(q_len * row).u(row).u(2 * width);
    } else {
        k = &a.inputs[next++];
        v = &a.inputs[next++];
        const int64_t kv_len = k->shape[1];
        push.u(q_len).u(kv_len).u(width);
        push.u(q->shape[0] == 1 ? 0 : q_len * width).u(width).u(0);
        push.u(kv_len * width).u(width).u(0).u(kv_len * width).u(width).u(0);
    }
    push.f(p.scale);
    // ATTENTION_CAUSAL, ATTENTION_COSINE and ATTENTION_HEAD_SCALE of attention.comp.
    push.u((p.causal ? 1u : 0u) | (p.cosine ? 2u : 0u) | (p.has_head_scale ? 4u : 0u));
    const TensorArg& logit_mult = p.cosine ? a.inputs[next++] : *q;
    const TensorArg& head_scale = p.has_head_scale ? a.inputs[next++] : *q;

    const KernelVariants& kv = r.variants();
    uint32_t key_tile = kv.attention_key_tile;
    if (kv.attention_mode == AttentionMode::Shared) {
        // Two key/value tiles of key_tile x head_dim floats and key_tile norms must fit.
        const uint64_t budget = r.limits().maxComputeSharedMemorySize;
        while (key_tile > 1 && (2 * key_tile * static_cast<uint64_t>(head_dim) + key_tile) * sizeof(float) > budget) key_tile /= 2;
    }
    const uint32_t queries = kv.attention_queries;
    // Rows of q, k and v start at multiples of the head dim: four floats per texel when it allows.
    const bool vec4 = head_dim % 4 == 0;
    const bool texel = r.texel_ok(*q, vec4) && r.texel_ok(*k, vec4) && r.texel_ok(*v, vec4);
    std::vector<uint32_t> spec{queries, 1, 1, static_cast<uint32_t>(head_dim), static_cast<uint32_t>(kv.attention_mode), key_tile,
                               texel && vec4 ? 1u : 0u};
    const Grid grid{static_cast<uint32_t>(ceil_div(static_cast<uint64_t>(q_len), queries)), static_cast<uint32_t>(p.heads),
                    static_cast<uint32_t>(batch)};
    auto input = [&](const TensorArg& t) { return texel ? r.texel(t, vec4) : r.read(t); };
    r.dispatch(a, {Recording::shader("attention", a.output.dtype, texel), std::move(spec)},
               {input(*q), input(*k), input(*v), r.read(logit_mult), r.read(head_scale), r.write(a.output)}, push, grid);
}

}  // namespace cliprt::vk
