// Fused multi-head attention: per (batch, head), K^T and V are packed into GEMM panels once, then
// for each tile of query rows: scores = Q K^T (GEMM), softmax(scale * scores) with the causal mask,
// out = P V (GEMM), written straight into the head's channels of the output. Scores exist only for
// one query tile at a time (tile x keys per thread), never as L x L per head. The scaled-cosine
// variant l2-normalizes q and k per head first and uses the head's logit multiplier as the scale.
// With a key mask only the seen keys are packed (padding costs nothing); a query that sees no key
// gives zeros.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/cpu_buffer.h"
#include "cpu/cpu_kernels.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt::cpu_fast {

namespace {

constexpr int64_t kQueryTile = 64;

struct HeadScratch {
    std::vector<float> kt;      // [head_dim, keys padded to panels]: K^T
    std::vector<float> v;       // [keys, head_dim padded to panels]
    std::vector<float> q;       // [query tile, head_dim]: normalized q rows (cosine)
    std::vector<float> scores;  // [query tile, keys padded]
    std::vector<float> packed;  // the GEMMs' packed A
    std::vector<int64_t> seen;  // key mask: the indices of the seen keys, ascending
};

HeadScratch& scratch() {
    thread_local HeadScratch s;
    return s;
}

// C [rows, n] = A [rows, k] @ B on the calling thread, A packed into `packed` first.
void small_gemm(const Kernels& kn, int64_t rows, int64_t n, int64_t k, const float* a, int64_t lda, const GemmB& b,
                float* c, int64_t ldc, std::vector<float>& packed) {
    packed.resize(static_cast<size_t>(kn.packed_a_floats(rows, k)));
    kn.pack_a(a, lda, rows, k, 0, rows, packed.data());
    kn.gemm_packed_a(0, rows, 0, (n + kn.gemm_nr - 1) / kn.gemm_nr, n, k, packed.data(), b, c, ldc, GemmEpilogue{});
}

void attend_head(const Kernels& kn, const AttentionParams& p, const cpu::AttentionOperands& o, int64_t b, int64_t h) {
    const cpu::AttentionLayout& l = o.layout;
    const int64_t dim = l.head_dim;
    HeadScratch& s = scratch();
    // Packed key j is key key_index(j) of the batch row.
    s.seen.clear();
    if (o.key_mask != nullptr) {
        const int32_t* mask = o.key_mask + b * l.kv_len;
        for (int64_t j = 0; j < l.kv_len; ++j) {
            if (mask[j] != 0) s.seen.push_back(j);
        }
    }
    const bool masked = o.key_mask != nullptr;
    const int64_t keys = masked ? static_cast<int64_t>(s.seen.size()) : l.kv_len;
    auto key_index = [&](int64_t j) { return masked ? s.seen[static_cast<size_t>(j)] : j; };
    const int nr = kn.gemm_nr;
    const int64_t keys_padded = (keys + nr - 1) / nr * nr;
    const int64_t dim_padded = (dim + nr - 1) / nr * nr;
    const int64_t width = p.heads * dim;
    if (keys == 0) {  // no key seen: every query gives zeros
        for (int64_t i = 0; i < l.q_len; ++i) std::fill_n(o.out + (b * l.q_len + i) * width + h * dim, dim, 0.0f);
        return;
    }
    s.kt.assign(static_cast<size_t>(dim * keys_padded), 0.0f);
    s.v.assign(static_cast<size_t>(keys * dim_padded), 0.0f);
    s.scores.resize(static_cast<size_t>(kQueryTile * keys_padded));

    for (int64_t j = 0; j < keys; ++j) {
        const float* k_row = o.k + b * l.k_batch_stride + key_index(j) * l.k_row_stride + h * dim;
        const float* v_row = o.v + b * l.v_batch_stride + key_index(j) * l.v_row_stride + h * dim;
        float inv_norm = 1.0f;
        if (p.cosine) {
            float sq = 0.0f;
            for (int64_t d = 0; d < dim; ++d) sq += k_row[d] * k_row[d];
            inv_norm = 1.0f / std::max(std::sqrt(sq), 1e-12f);
        }
        for (int64_t d = 0; d < dim; ++d) s.kt[static_cast<size_t>(d * keys_padded + j)] = k_row[d] * inv_norm;
        std::copy_n(v_row, dim, s.v.data() + j * dim_padded);
    }
    const float scale = p.cosine ? o.logit_mult[h] : p.scale;
    const GemmB kt_panels{s.kt.data(), nr, keys_padded};
    const GemmB v_panels{s.v.data(), nr, dim_padded};

    for (int64_t q0 = 0; q0 < l.q_len; q0 += kQueryTile) {
        const int64_t rows = std::min(kQueryTile, l.q_len - q0);
        const float* q = o.q + b * l.q_batch_stride + q0 * l.q_row_stride + h * dim;
        int64_t q_stride = l.q_row_stride;
        if (p.cosine) {
            s.q.resize(static_cast<size_t>(rows * dim));
            for (int64_t i = 0; i < rows; ++i) kn.l2_normalize(q + i * l.q_row_stride, s.q.data() + i * dim, 1, dim);
            q = s.q.data();
            q_stride = dim;
        }
        float* scores = s.scores.data();
        small_gemm(kn, rows, keys, dim, q, q_stride, kt_panels, scores, keys_padded, s.packed);
        for (int64_t i = 0; i < rows; ++i) {
            float* row = scores + i * keys_padded;
            // The packed keys a causal query sees: those at or before it (a prefix: seen keys ascend).
            int64_t visible = keys;
            if (p.causal) {
                const int64_t last = q0 + i;
                visible = masked ? std::upper_bound(s.seen.begin(), s.seen.end(), last) - s.seen.begin()
                                 : std::min(keys, last + 1);
            }
            if (visible > 0) kn.softmax(row, row, 1, visible, scale);
            std::fill(row + visible, row + keys, 0.0f);  // masked keys get probability 0
        }
        float* out = o.out + (b * l.q_len + q0) * width + h * dim;
        small_gemm(kn, rows, dim, keys, scores, keys_padded, v_panels, out, width, s.packed);
        if (o.head_scale != nullptr) {
            for (int64_t i = 0; i < rows; ++i)
                kn.unary(out + i * width, out + i * width, dim, Activation::None, o.head_scale[h], 0.0f);
        }
    }
}

}  // namespace

Step record_attention(const FastArgs& a) {
    const AttentionParams p = a.node.get<AttentionParams>();
    const cpu::AttentionOperands o = cpu::attention_operands(a);
    return [&pool = a.pool, &kn = a.kernels, p, o] {
        const int64_t heads = p.heads;
        pool.run_tasks(o.layout.batch * heads,
                       [&](int64_t task, int) { attend_head(kn, p, o, task / heads, task % heads); });
    };
}

}  // namespace cliprt::cpu_fast
