// Row-wise ops of the fast CPU backend: layer norm, softmax, l2 normalize, split by rows over the
// thread pool.
#include "cpu/cpu_buffer.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt::cpu_fast {

namespace {

// Rows per task: about 16K elements, so small tensors stay on one thread.
int64_t row_chunk(int64_t width) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(width, 1)); }

struct Rows {
    int64_t rows = 1, width = 1;
};

Rows rows_of(const Shape& s) { return Rows{row_count(s), s.rank() > 0 ? s[-1] : 1}; }

}  // namespace

Step record_layer_norm(const FastArgs& a) {
    const float eps = a.node.get<LayerNormParams>().eps;
    const Rows r = rows_of(a.inputs[0].shape);
    const float* x = cpu::f32_data(a.inputs[0]);
    const float* gamma = cpu::f32_data(a.inputs[1]);
    const float* beta = cpu::f32_data(a.inputs[2]);
    float* y = cpu::f32_data(a.output);
    return [&pool = a.pool, &k = a.kernels, x, gamma, beta, y, r, eps] {
        pool.parallel_for(r.rows, row_chunk(r.width), [&](int64_t begin, int64_t end, int) {
            k.layer_norm(x + begin * r.width, gamma, beta, y + begin * r.width, end - begin, r.width, eps);
        });
    };
}

Step record_softmax(const FastArgs& a) {
    const Rows r = rows_of(a.inputs[0].shape);
    if (r.width <= 0) return {};
    const float* x = cpu::f32_data(a.inputs[0]);
    float* y = cpu::f32_data(a.output);
    return [&pool = a.pool, &k = a.kernels, x, y, r] {
        pool.parallel_for(r.rows, row_chunk(r.width), [&](int64_t begin, int64_t end, int) {
            k.softmax(x + begin * r.width, y + begin * r.width, end - begin, r.width, 1.0f);
        });
    };
}

Step record_l2_normalize(const FastArgs& a) {
    const Rows r = rows_of(a.inputs[0].shape);
    const float* x = cpu::f32_data(a.inputs[0]);
    float* y = cpu::f32_data(a.output);
    return [&pool = a.pool, &k = a.kernels, x, y, r] {
        pool.parallel_for(r.rows, row_chunk(r.width), [&](int64_t begin, int64_t end, int) {
            k.l2_normalize(x + begin * r.width, y + begin * r.width, end - begin, r.width);
        });
    };
}

}  // namespace cliprt::cpu_fast
