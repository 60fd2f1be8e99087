// Ops that move data without arithmetic (or with only a mean): embedding gather, concat, permute,
// token pooling and average pooling.
#include <algorithm>
#include <cstring>

#include "cliprt/error.h"
#include "cpu/cpu_kernels.h"
#include "cpu/cpu_ops.h"

namespace cliprt::cpu {

namespace {

constexpr size_t kElementBytes = 4;  // f32 and i32

// Row-major element strides of a contiguous tensor.
std::vector<int64_t> contiguous_strides(const Shape& shape) {
    std::vector<int64_t> strides(static_cast<size_t>(shape.rank()), 1);
    for (int d = shape.rank() - 2; d >= 0; --d)
        strides[static_cast<size_t>(d)] = strides[static_cast<size_t>(d) + 1] * shape[d + 1];
    return strides;
}

// For every index i of `dims` (row-major): dst[i . dst_strides] = src[i . src_strides], on
// 4-byte elements. Strides are in elements; a 0 source stride repeats (broadcasts) along that axis.
void strided_copy(const unsigned char* src, const std::vector<int64_t>& src_strides, unsigned char* dst,
                  const std::vector<int64_t>& dst_strides, const std::vector<int64_t>& dims) {
    const size_t rank = dims.size();
    for (int64_t d : dims) {
        if (d == 0) return;
    }
    if (rank == 0) {
        std::memcpy(dst, src, kElementBytes);
        return;
    }
    int64_t rows = 1;
    for (size_t d = 0; d + 1 < rank; ++d) rows *= dims[d];
    const int64_t inner = dims[rank - 1];
    const int64_t src_step = src_strides[rank - 1];
    const int64_t dst_step = dst_strides[rank - 1];
    std::vector<int64_t> index(rank - 1, 0);  // of the current row, over all axes but the last
    for (int64_t row = 0; row < rows; ++row) {
        int64_t src_offset = 0;
        int64_t dst_offset = 0;
        for (size_t d = 0; d + 1 < rank; ++d) {
            src_offset += index[d] * src_strides[d];
            dst_offset += index[d] * dst_strides[d];
        }
        for (int64_t j = 0; j < inner; ++j) {
            std::memcpy(dst + static_cast<size_t>(dst_offset + j * dst_step) * kElementBytes,
                        src + static_cast<size_t>(src_offset + j * src_step) * kElementBytes, kElementBytes);
        }
        for (size_t d = rank - 1; d-- > 0;) {
            if (++index[d] < dims[d]) break;
            index[d] = 0;
        }
    }
}

}  // namespace

int64_t first_invalid_id(const int32_t* ids, int64_t n, int64_t vocab) {
    for (int64_t i = 0; i < n; ++i) {
        if (ids[i] < 0 || ids[i] >= vocab) return i;
    }
    return -1;
}

void embedding(const int32_t* ids, int64_t n, const float* table, int64_t width, float* y) {
    for (int64_t i = 0; i < n; ++i) std::copy_n(table + static_cast<int64_t>(ids[i]) * width, width, y + i * width);
}

void concat(const std::vector<const float*>& inputs, const std::vector<Shape>& shapes, int axis, float* y,
            const Shape& out_shape) {
    const std::vector<int64_t> out_strides = contiguous_strides(out_shape);
    int64_t axis_offset = 0;
    for (size_t t = 0; t < inputs.size(); ++t) {
        const Shape& s = shapes[t];
        std::vector<int64_t> src_strides = contiguous_strides(s);
        std::vector<int64_t> dims = out_shape.dims();
        for (int d = 0; d < s.rank(); ++d) {
            if (d == axis) {
                dims[static_cast<size_t>(d)] = s[d];
            } else if (s[d] == 1) {
                src_strides[static_cast<size_t>(d)] = 0;  // broadcast along this axis
            }
        }
        auto* dst = reinterpret_cast<unsigned char*>(y + axis_offset * out_strides[static_cast<size_t>(axis)]);
        strided_copy(reinterpret_cast<const unsigned char*>(inputs[t]), src_strides, dst, out_strides, dims);
        axis_offset += s[axis];
    }
}

void permute(const void* x, const Shape& x_shape, const std::vector<int>& perm, void* y) {
    const std::vector<int64_t> x_strides = contiguous_strides(x_shape);
    std::vector<int64_t> dims;
    std::vector<int64_t> src_strides;
    for (int axis : perm) {
        dims.push_back(x_shape[axis]);
        src_strides.push_back(x_strides[static_cast<size_t>(axis)]);
    }
    strided_copy(static_cast<const unsigned char*>(x), src_strides, static_cast<unsigned char*>(y),
                 contiguous_strides(Shape(dims)), dims);
}

std::vector<int64_t> pool_positions(const TokenPoolParams& params, const int32_t* ids, int64_t batch, int64_t len) {
    std::vector<int64_t> positions(static_cast<size_t>(batch), 0);
    for (int64_t b = 0; b < batch; ++b) {
        const int32_t* row = ids != nullptr ? ids + b * len : nullptr;
        int64_t& pos = positions[static_cast<size_t>(b)];
        switch (params.mode) {
            case PoolMode::First:
                pos = 0;
                break;
            case PoolMode::Last:
                pos = len - 1;
                break;
            case PoolMode::Argmax:
                pos = std::max_element(row, row + len) - row;
                break;  // first of equal maxima
            case PoolMode::Eos:
                // torch's argmax(ids == eos): the first match, position 0 when there is none.
                pos = std::find(row, row + len, params.eos_id) - row;
                if (pos == len) pos = 0;
                break;
            case PoolMode::Mean:
                pos = 0;
                break;  // unused
        }
    }
    return positions;
}

void token_pool(const TokenPoolParams& params, const float* x, const std::vector<int64_t>& positions, int64_t batch,
                int64_t len, int64_t width, float* y) {
    for (int64_t b = 0; b < batch; ++b) {
        const float* tokens = x + b * len * width;
        float* out = y + b * width;
        if (params.mode != PoolMode::Mean) {
            std::copy_n(tokens + positions[static_cast<size_t>(b)] * width, width, out);
            continue;
        }
        const int64_t count = len - params.mean_start;
        for (int64_t j = 0; j < width; ++j) {
            double sum = 0.0;
            for (int64_t t = params.mean_start; t < len; ++t) sum += tokens[t * width + j];
            out[j] = static_cast<float>(sum / static_cast<double>(count));
        }
    }
}

void avg_pool2d(ThreadPool& pool, const float* x, float* y, int64_t planes, int64_t in_h, int64_t in_w,
                const AvgPool2dParams& p) {
    const int64_t out_h = (in_h - p.kernel_h) / p.stride_h + 1;
    const int64_t out_w = (in_w - p.kernel_w) / p.stride_w + 1;
    const double area = static_cast<double>(p.kernel_h) * p.kernel_w;
    pool.parallel_for(planes, 1, [&](int64_t begin, int64_t end, int) {
        for (int64_t plane = begin; plane < end; ++plane) {
            const float* in = x + plane * in_h * in_w;
            float* out = y + plane * out_h * out_w;
            for (int64_t oh = 0; oh < out_h; ++oh) {
                for (int64_t ow = 0; ow < out_w; ++ow) {
                    double sum = 0.0;
                    for (int64_t i = 0; i < p.kernel_h; ++i) {
                        for (int64_t j = 0; j < p.kernel_w; ++j)
                            sum += in[(oh * p.stride_h + i) * in_w + ow * p.stride_w + j];
                    }
                    out[oh * out_w + ow] = static_cast<float>(sum / area);
                }
            }
        }
    });
}

Step record_embedding(const NodeArgs& args) {
    const int32_t* ids = i32_data(args.inputs[0]);
    const float* table = f32_data(args.inputs[1]);
    const int64_t n = args.inputs[0].shape.numel();
    const int64_t vocab = args.inputs[1].shape[0];
    const int64_t width = args.inputs[1].shape[1];
    float* y = f32_data(args.output);
    const std::string name = args.node.name;
    return [ids, table, n, vocab, width, y, name] {
        // Ids come from the user: check all of them before reading the table.
        const int64_t bad = first_invalid_id(ids, n, vocab);
        if (bad >= 0)
            fail("embedding '", name, "': id ", ids[bad], " at position ", bad, " is outside the vocabulary [0, ",
                 vocab, ")");
        embedding(ids, n, table, width, y);
    };
}

Step record_concat(const NodeArgs& args) {
    std::vector<const float*> inputs;
    std::vector<Shape> shapes;
    for (const TensorArg& in : args.inputs) {
        inputs.push_back(f32_data(in));
        shapes.push_back(in.shape);
    }
    const int axis = args.output.shape.normalize_axis(args.node.get<ConcatParams>().axis);
    float* y = f32_data(args.output);
    const Shape out_shape = args.output.shape;
    return [inputs, shapes, axis, y, out_shape] { concat(inputs, shapes, axis, y, out_shape); };
}

Step record_permute(const NodeArgs& args) {
    const void* x = raw_data(args.inputs[0]);
    void* y = raw_data(args.output);
    if (dtype_size(args.inputs[0].dtype) != kElementBytes || args.output.dtype != args.inputs[0].dtype)
        fail("permute '", args.node.name, "': the cpu backend permutes 4-byte elements of one dtype");
    const Shape x_shape = args.inputs[0].shape;
    const std::vector<int> perm = args.node.get<PermuteParams>().perm;
    return [x, x_shape, perm, y] { permute(x, x_shape, perm, y); };
}

Step record_token_pool(const NodeArgs& args) {
    const TokenPoolParams p = args.node.get<TokenPoolParams>();
    const Shape& s = args.inputs[0].shape;
    const int64_t batch = s[0];
    const int64_t len = s[1];
    const int64_t width = s[2];
    const float* x = f32_data(args.inputs[0]);
    const int32_t* ids = args.inputs.size() > 1 ? i32_data(args.inputs[1]) : nullptr;
    float* y = f32_data(args.output);
    const std::string name = args.node.name;
    return [p, x, ids, batch, len, width, y, name] {
        const std::vector<int64_t> positions = pool_positions(p, ids, batch, len);
        for (int64_t pos : positions) {
            if (pos < 0 || pos >= len) fail("token_pool '", name, "': position ", pos, " outside [0, ", len, ")");
        }
        token_pool(p, x, positions, batch, len, width, y);
    };
}

Step record_avg_pool2d(const NodeArgs& args) {
    const AvgPool2dParams p = args.node.get<AvgPool2dParams>();
    const Shape& s = args.inputs[0].shape;
    const int64_t planes = s[0] * s[1];
    const int64_t in_h = s[2];
    const int64_t in_w = s[3];
    const float* x = f32_data(args.inputs[0]);
    float* y = f32_data(args.output);
    ThreadPool& pool = args.pool;
    return [&pool, p, x, y, planes, in_h, in_w] { avg_pool2d(pool, x, y, planes, in_h, in_w, p); };
}

}  // namespace cliprt::cpu
