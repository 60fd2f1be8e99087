// Multi-head attention, one (batch, query, head) row at a time: scores, softmax over the visible
// keys, then the weighted sum of values. The scaled-cosine variant normalizes q and k per head and
// is then the same computation with logit_mult[h] as the score multiplier.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/cpu_kernels.h"
#include "cpu/cpu_ops.h"

namespace cliprt::cpu {

namespace {

// Eight independent partial sums so the compiler can vectorize without reassociating.
float dot(const float* a, const float* b, int64_t n) {
    constexpr int kLanes = 8;
    float partial[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (int l = 0; l < kLanes; ++l) partial[l] += a[i + l] * b[i + l];
    }
    for (; i < n; ++i) partial[0] += a[i] * b[i];
    float sum = 0.0f;
    for (float p : partial) sum += p;
    return sum;
}

// softmax(score_mult[h] * q k^T) v, times head_scale[h] if given.
// Masked keys (causal, key_mask) get probability 0; a query that sees no key gives zeros.
void attend(ThreadPool& pool, const AttentionLayout& l, int64_t heads, bool causal, const float* q, const float* k,
            const float* v, const std::vector<float>& score_mult, const float* head_scale, const int32_t* key_mask,
            float* out) {
    const int64_t dim = l.head_dim;
    const int64_t width = heads * dim;
    pool.parallel_for(l.batch * l.q_len * heads, 4, [&](int64_t begin, int64_t end, int thread) {
        float* probs = pool.scratch(thread, static_cast<size_t>(l.kv_len));
        for (int64_t row = begin; row < end; ++row) {
            const int64_t h = row % heads;
            const int64_t i = row / heads % l.q_len;
            const int64_t b = row / heads / l.q_len;
            const float* q_row = q + b * l.q_batch_stride + i * l.q_row_stride + h * dim;
            const int64_t keys = causal ? i + 1 : l.kv_len;
            const int32_t* seen = key_mask != nullptr ? key_mask + b * l.kv_len : nullptr;
            auto visible = [seen](int64_t j) { return seen == nullptr || seen[j] != 0; };
            float max_score = -std::numeric_limits<float>::infinity();
            for (int64_t j = 0; j < keys; ++j) {
                if (!visible(j)) continue;
                const float* k_row = k + b * l.k_batch_stride + j * l.k_row_stride + h * dim;
                probs[j] = score_mult[static_cast<size_t>(h)] * dot(q_row, k_row, dim);
                max_score = std::max(max_score, probs[j]);
            }
            double total = 0.0;
            for (int64_t j = 0; j < keys; ++j) {
                probs[j] = visible(j) ? std::exp(probs[j] - max_score) : 0.0f;
                total += probs[j];
            }
            float* o = out + (b * l.q_len + i) * width + h * dim;
            std::fill_n(o, dim, 0.0f);
            if (total == 0.0) continue;  // no key seen
            for (int64_t j = 0; j < keys; ++j) {
                if (!visible(j)) continue;
                const float p = static_cast<float>(probs[j] / total);
                const float* v_row = v + b * l.v_batch_stride + j * l.v_row_stride + h * dim;
                for (int64_t d = 0; d < dim; ++d) o[d] += p * v_row[d];
            }
            if (head_scale != nullptr) {
                for (int64_t d = 0; d < dim; ++d) o[d] *= head_scale[h];
            }
        }
    });
}

// A contiguous [batch * len, heads * head_dim] copy of strided rows with each head l2-normalized.
std::vector<float> normalized_heads(ThreadPool& pool, const float* src, int64_t batch, int64_t len,
                                    int64_t batch_stride, int64_t row_stride, int64_t heads, int64_t head_dim) {
    const int64_t width = heads * head_dim;
    std::vector<float> out(static_cast<size_t>(batch * len * width));
    for (int64_t b = 0; b < batch; ++b) {
        for (int64_t r = 0; r < len; ++r) {
            std::copy_n(src + b * batch_stride + r * row_stride, width, out.data() + (b * len + r) * width);
        }
    }
    l2_normalize(pool, out.data(), out.data(), batch * len * heads, head_dim);
    return out;
}

}  // namespace

void attention(ThreadPool& pool, const AttentionParams& params, const AttentionLayout& layout, const float* q,
               const float* k, const float* v, const float* logit_mult, const float* head_scale,
               const int32_t* key_mask, float* out) {
    const int64_t heads = params.heads;
    if (!params.cosine) {
        const std::vector<float> score_mult(static_cast<size_t>(heads), params.scale);
        attend(pool, layout, heads, params.causal, q, k, v, score_mult, head_scale, key_mask, out);
        return;
    }
    const int64_t width = heads * layout.head_dim;
    const bool q_broadcast = layout.q_batch_stride == 0;
    const std::vector<float> qn = normalized_heads(pool, q, q_broadcast ? 1 : layout.batch, layout.q_len,
                                                   layout.q_batch_stride, layout.q_row_stride, heads, layout.head_dim);
    const std::vector<float> kn = normalized_heads(pool, k, layout.batch, layout.kv_len, layout.k_batch_stride,
                                                   layout.k_row_stride, heads, layout.head_dim);
    AttentionLayout normalized = layout;
    normalized.q_batch_stride = q_broadcast ? 0 : layout.q_len * width;
    normalized.q_row_stride = width;
    normalized.k_batch_stride = layout.kv_len * width;
    normalized.k_row_stride = width;
    const std::vector<float> score_mult(logit_mult, logit_mult + heads);
    attend(pool, normalized, heads, params.causal, qn.data(), kn.data(), v, score_mult, head_scale, key_mask, out);
}

AttentionOperands attention_operands(const cliprt::NodeArgs& args) {
    const AttentionView v = attention_view(args);
    AttentionOperands o;
    o.layout = AttentionLayout{v.batch,        v.q_len,          v.kv_len,       v.head_dim,       v.q.batch_stride,
                               v.q.row_stride, v.k.batch_stride, v.k.row_stride, v.v.batch_stride, v.v.row_stride};
    o.q = f32_data(*v.q.arg) + v.q.offset;
    o.k = f32_data(*v.k.arg) + v.k.offset;
    o.v = f32_data(*v.v.arg) + v.v.offset;
    o.logit_mult = v.logit_mult ? f32_data(*v.logit_mult) : nullptr;
    o.head_scale = v.head_scale ? f32_data(*v.head_scale) : nullptr;
    o.key_mask = v.key_mask ? i32_data(*v.key_mask) : nullptr;
    o.out = f32_data(args.output);
    return o;
}

Step record_attention(const NodeArgs& args) {
    const AttentionParams p = args.node.get<AttentionParams>();
    const AttentionOperands o = attention_operands(args);
    ThreadPool& pool = args.pool;
    return
        [&pool, p, o] { attention(pool, p, o.layout, o.q, o.k, o.v, o.logit_mult, o.head_scale, o.key_mask, o.out); };
}

}  // namespace cliprt::cpu
