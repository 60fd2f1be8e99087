// Elementwise ops of the fast CPU backend: unary activations and binary add / mul where b is the
// same shape as a, a scalar, or a's trailing dimensions (a bias or scale per row); other
// broadcasts run the reference kernel.
#include "cpu/cpu_buffer.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt::cpu_fast {

namespace {

constexpr int64_t kChunk = 16384;  // elements per task

// Whether b broadcasts as whole copies over a's leading dimensions: b's shape, without leading 1s,
// equals a's trailing dimensions.
bool is_trailing(const Shape& a, const Shape& b) {
    int lead = 0;
    while (lead < b.rank() && b[lead] == 1) ++lead;
    const int rank = b.rank() - lead;
    if (rank > a.rank()) return false;
    for (int d = 0; d < rank; ++d) {
        if (b[lead + d] != a[a.rank() - rank + d]) return false;
    }
    return true;
}

}  // namespace

Step record_unary(const FastArgs& a) {
    const UnaryParams p = a.node.get<UnaryParams>();
    const float* x = cpu::f32_data(a.inputs[0]);
    float* y = cpu::f32_data(a.output);
    const int64_t n = a.output.shape.numel();
    return [&pool = a.pool, &k = a.kernels, x, y, n, p] {
        pool.parallel_for(n, kChunk, [&](int64_t begin, int64_t end, int) {
            k.unary(x + begin, y + begin, end - begin, p.act, p.alpha, p.beta);
        });
    };
}

Step record_binary(const FastArgs& a) {
    const BinaryOp op = a.node.get<BinaryParams>().op;
    const Shape& as = a.inputs[0].shape;
    const Shape& bs = a.inputs[1].shape;
    const float* x = cpu::f32_data(a.inputs[0]);
    const float* b = cpu::f32_data(a.inputs[1]);
    float* y = cpu::f32_data(a.output);
    const int64_t n = as.numel();
    const int64_t inner = bs.numel();
    if (inner == 1) {
        return [&pool = a.pool, &k = a.kernels, op, x, b, y, n] {
            pool.parallel_for(n, kChunk, [&](int64_t begin, int64_t end, int) {
                k.binary_scalar(op, x + begin, *b, y + begin, end - begin);
            });
        };
    }
    if (!is_trailing(as, bs) || inner == 0) return {};
    return [&pool = a.pool, &k = a.kernels, op, x, b, y, n, inner] {
        const int64_t rows = n / inner;
        pool.parallel_for(rows, std::max<int64_t>(1, kChunk / inner), [&](int64_t begin, int64_t end, int) {
            for (int64_t r = begin; r < end; ++r) k.binary(op, x + r * inner, b, y + r * inner, inner);
        });
    };
}

}  // namespace cliprt::cpu_fast
