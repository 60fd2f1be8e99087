// The op-level parity cases shared by the backend suites (vulkan_ops_test.cpp, cuda_backend_test.cpp):
// every op of the graph IR on shapes that are not multiples of any tile, the data they run on, the
// NMSE limits per op family, and a runner that surrounds every activation with sentinel guards.
//
// Inputs are uniform in [-1, 1] (scaled per case); for f16 storage they are rounded to f16 first
// so the backend and the CPU oracle see the same values. Each graph value gets its own buffer and
// every output is surrounded by sentinel-filled guard regions that must be untouched afterwards.
//
// Metric NMSE = sum (backend - cpu)^2 / sum cpu^2, any NaN or Inf fails. Limits:
//   f32: elementwise and data movement 1e-7; norms, softmax, pooling 1e-6; linear, conv2d, attention 1e-6.
//   f16: 1e-6 where only the output rounding to f16 differs (elementwise, norms, pooling);
//        5e-4 for linear, conv2d and attention.
// (Extracted from the Vulkan suite so both backends run the same cases.)
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cliprt/backend.h"
#include "cliprt/cpu_backend.h"
#include "cliprt/dtype.h"
#include "cliprt/executor.h"

namespace cliprt::op_parity {

enum class Family { Exact, Elementwise, Norm, Matmul };

inline double nmse_limit(Family f, DType dtype) {
    if (dtype == DType::F16) return f == Family::Matmul ? 5e-4 : 1e-6;
    return f == Family::Norm || f == Family::Matmul ? 1e-6 : 1e-7;
}

// Test data: uniform values (rounded to f16 when the backend stores f16), graph inputs and constants.
class Data {
public:
    Data(DType dtype, uint32_t seed) : dtype_(dtype), rng_(seed) {}

    Tensor uniform(const Shape& shape, float scale = 1.0f) {
        std::uniform_real_distribution<float> dist(-scale, scale);
        std::vector<float> values(static_cast<size_t>(shape.numel()));
        for (float& v : values) {
            v = dist(rng_);
            if (dtype_ == DType::F16) v = f16_to_f32(f32_to_f16(v));
        }
        return Tensor::from_f32(shape, std::move(values));
    }
    ValueId input(Graph& g, const std::string& name, const Shape& shape, float scale = 1.0f) {
        inputs.push_back(uniform(shape, scale));
        return g.add_input(name, shape, DType::F32);
    }
    ValueId constant(Graph& g, const std::string& name, const Shape& shape, float scale = 1.0f) {
        return g.add_constant(name, uniform(shape, scale));
    }
    ValueId ids(Graph& g, const std::string& name, std::vector<int32_t> values, const Shape& shape) {
        inputs.push_back(Tensor::from_i32(shape, std::move(values)));
        return g.add_input(name, shape, DType::I32);
    }
    ValueId random_ids(Graph& g, const std::string& name, const Shape& shape, int32_t vocab) {
        std::uniform_int_distribution<int32_t> dist(0, vocab - 1);
        std::vector<int32_t> values(static_cast<size_t>(shape.numel()));
        for (int32_t& v : values) v = dist(rng_);
        return ids(g, name, std::move(values), shape);
    }

    std::vector<Tensor> inputs;

private:
    DType dtype_;
    std::mt19937 rng_;
};

struct OpCase {
    std::string name;
    Family family;
    std::function<void(Graph&, Data&)> build;  // adds inputs and nodes, marks the outputs
};

inline constexpr uint64_t kGuardBytes = 512;
inline constexpr unsigned char kSentinel = 0xCD;  // 0xCDCDCDCD is -4.3e8 as f32, -23.2 as f16: never a result

// Runs the graph with one buffer per value and sentinel guards around every activation. Returns
// the outputs as f32; adds a failure for every guard byte that changed. `dispatches`, when given,
// receives the program's dispatch count.
inline std::vector<Tensor> run_guarded(Backend& backend, const Graph& g, const std::vector<Tensor>& inputs,
                                       int* dispatches = nullptr) {
    const DType float_storage = backend.float_storage_dtype();
    std::vector<std::unique_ptr<Buffer>> buffers(g.values().size());
    std::vector<TensorArg> args(g.values().size());
    size_t next_input = 0;
    for (const Value& v : g.values()) {
        const auto id = static_cast<size_t>(v.id);
        if (v.alias_of >= 0) {
            args[id] = args[static_cast<size_t>(g.storage_root(v.id))];
            args[id].shape = v.shape;
            continue;
        }
        const DType stored = v.dtype == DType::I32 ? DType::I32 : float_storage;
        const uint64_t bytes = static_cast<uint64_t>(v.shape.numel()) * dtype_size(stored);
        if (v.kind == ValueKind::Activation) {
            buffers[id] = backend.allocate(kGuardBytes + bytes + kGuardBytes);
            const std::vector<unsigned char> fill(buffers[id]->size(), kSentinel);
            backend.upload(*buffers[id], 0, fill.data(), fill.size());
            args[id] = TensorArg{buffers[id].get(), kGuardBytes, v.shape, stored};
            continue;
        }
        const Tensor& host = v.kind == ValueKind::Constant ? *v.constant : inputs.at(next_input++);
        const Tensor data = host.dtype() == stored ? host : host.to_dtype(stored);
        buffers[id] = backend.allocate(std::max<uint64_t>(bytes, 4));
        backend.upload(*buffers[id], 0, data.data(), data.nbytes());
        args[id] = TensorArg{buffers[id].get(), 0, v.shape, stored};
    }
    const std::unique_ptr<Program> program = backend.record(g, args);
    program->run();
    if (dispatches) *dispatches = program->dispatch_count();

    for (const Value& v : g.values()) {
        const auto id = static_cast<size_t>(v.id);
        if (v.kind != ValueKind::Activation || v.alias_of >= 0) continue;
        std::vector<unsigned char> bytes(buffers[id]->size());
        backend.download(*buffers[id], 0, bytes.data(), bytes.size());
        const uint64_t end = buffers[id]->size() - kGuardBytes;
        for (uint64_t i = 0; i < bytes.size(); ++i) {
            if ((i < kGuardBytes || i >= end) && bytes[i] != kSentinel) {
                ADD_FAILURE() << "value '" << v.name << "': guard byte " << (i < kGuardBytes ? "before" : "after")
                              << " the tensor was overwritten at offset "
                              << static_cast<int64_t>(i) - static_cast<int64_t>(kGuardBytes);
                break;
            }
        }
    }
    std::vector<Tensor> outputs;
    for (ValueId out : g.outputs()) {
        const TensorArg& arg = args[static_cast<size_t>(out)];
        Tensor stored(arg.shape, arg.dtype);
        backend.download(*arg.buffer, arg.offset, stored.data(), stored.nbytes());
        outputs.push_back(stored.dtype() == DType::F16 ? stored.to_f32() : std::move(stored));
    }
    return outputs;
}

inline std::vector<Tensor> run_cpu(const std::shared_ptr<const Graph>& g, const std::vector<Tensor>& inputs) {
    static const std::unique_ptr<Backend> cpu = make_cpu_ref_backend(0);
    WeightCache weights(*cpu);
    CompiledGraph compiled(g, *cpu, weights);
    return compiled.run(inputs);
}

// ---- the cases ----

inline std::vector<OpCase> unary_cases() {
    std::vector<OpCase> cases;
    const std::pair<Activation, const char*> acts[] = {{Activation::None, "none"},
                                                       {Activation::Relu, "relu"},
                                                       {Activation::Gelu, "gelu"},
                                                       {Activation::GeluTanh, "gelu_tanh"},
                                                       {Activation::QuickGelu, "quick_gelu"},
                                                       {Activation::Sigmoid, "sigmoid"}};
    for (const auto& [act, name] : acts) {
        for (const Shape& s : {Shape{1}, Shape{3, 7, 13}, Shape{5, 257}}) {
            cases.push_back({std::string("unary_") + name + "_" + std::to_string(s.numel()), Family::Elementwise,
                             [act = act, s](Graph& g, Data& d) {
                                 g.mark_output(g.unary(d.input(g, "x", s, 4.0f), act, 1.5f, -0.25f));
                             }});
        }
    }
    // More than 65535 workgroups of 256: the grid is split over x and y.
    cases.push_back({"unary_relu_grid_2d", Family::Elementwise, [](Graph& g, Data& d) {
                         g.mark_output(g.unary(d.input(g, "x", Shape{4100, 4100}), Activation::Relu));
                     }});
    return cases;
}

inline std::vector<OpCase> binary_cases() {
    std::vector<OpCase> cases;
    const Shape a{3, 5, 7};
    const std::vector<std::pair<Shape, std::string>> bs = {{Shape{3, 5, 7}, "same"}, {Shape{7}, "row"},
                                                           {Shape{5, 1}, "col"},     {Shape{3, 1, 7}, "mid"},
                                                           {Shape{1}, "scalar"},     {Shape{5, 7}, "inner"}};
    for (BinaryOp op : {BinaryOp::Add, BinaryOp::Mul}) {
        for (const auto& [b, name] : bs) {
            cases.push_back({std::string(op == BinaryOp::Add ? "add_" : "mul_") + name, Family::Elementwise,
                             [op, a, b = b](Graph& g, Data& d) {
                                 g.mark_output(g.binary(op, d.input(g, "a", a), d.input(g, "b", b)));
                             }});
        }
    }
    cases.push_back({"add_positional", Family::Elementwise, [](Graph& g, Data& d) {
                         g.mark_output(g.binary(BinaryOp::Add, d.input(g, "x", Shape{2, 50, 64}),
                                                d.constant(g, "pos", Shape{50, 64})));
                     }});
    return cases;
}

inline std::vector<OpCase> linear_cases() {
    std::vector<OpCase> cases;
    const int64_t mkn[][3] = {
        {1, 1, 1},     {1, 3, 5},     {3, 5, 7},   {7, 13, 5},   {13, 50, 77}, {50, 77, 13},
        {77, 64, 197}, {197, 33, 50}, {257, 7, 3}, {5, 257, 13}, {19, 45, 600}};  // k over two cache blocks of the fast
                                                                                  // CPU GEMM
    for (const auto& s : mkn) {
        const int64_t m = s[0], k = s[1], n = s[2];
        const std::string dims = std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
        cases.push_back({"linear_" + dims, Family::Matmul, [=](Graph& g, Data& d) {
                             g.mark_output(g.linear(d.input(g, "x", Shape{m, k}), d.constant(g, "w", Shape{n, k})));
                         }});
        cases.push_back({"linear_bias_gelu_" + dims, Family::Matmul, [=](Graph& g, Data& d) {
                             g.mark_output(g.linear(d.input(g, "x", Shape{m, k}), d.constant(g, "w", Shape{n, k}),
                                                    d.constant(g, "b", Shape{n}), Activation::Gelu));
                         }});
        cases.push_back({"linear_bias_residual_relu_" + dims, Family::Matmul, [=](Graph& g, Data& d) {
                             const ValueId x = d.input(g, "x", Shape{m, k});
                             const ValueId r = d.input(g, "r", Shape{m, n});
                             g.mark_output(g.linear(x, d.constant(g, "w", Shape{n, k}), d.constant(g, "b", Shape{n}),
                                                    Activation::Relu, r));
                         }});
    }
    cases.push_back({"linear_batched_quick_gelu", Family::Matmul, [](Graph& g, Data& d) {
                         g.mark_output(g.linear(d.input(g, "x", Shape{2, 7, 50}), d.constant(g, "w", Shape{13, 50}),
                                                d.constant(g, "b", Shape{13}), Activation::QuickGelu));
                     }});
    cases.push_back({"linear_residual_only", Family::Matmul, [](Graph& g, Data& d) {
                         const ValueId x = d.input(g, "x", Shape{3, 50, 64});
                         g.mark_output(g.linear(x, d.constant(g, "w", Shape{64, 64}), -1, Activation::None, x));
                     }});
    // Logits: the weight is an activation (text features), not a constant.
    cases.push_back({"linear_activation_weight", Family::Matmul, [](Graph& g, Data& d) {
                         g.mark_output(g.linear(d.input(g, "image", Shape{3, 64}), d.input(g, "text", Shape{7, 64})));
                     }});
    return cases;
}

inline std::vector<OpCase> conv_cases() {
    struct C {
        const char* name;
        int64_t n, c, h, w, o, kh, kw;
        int stride, pad;
        bool bias, residual;
        Activation act;
    };
    const C convs[] = {
        {"1x1_tiny", 1, 1, 1, 1, 1, 1, 1, 1, 0, false, false, Activation::None},
        {"3x3_s1_p1", 1, 3, 7, 7, 5, 3, 3, 1, 1, true, false, Activation::Relu},
        {"3x3_s2_p1", 2, 5, 13, 13, 7, 3, 3, 2, 1, true, false, Activation::Relu},
        {"7x7_s2_p3_stem", 1, 3, 13, 7, 4, 7, 7, 2, 3, true, false, Activation::None},
        {"1x1_residual_relu", 2, 4, 5, 7, 3, 1, 1, 1, 0, true, true, Activation::Relu},
        {"3x3_s2_p0", 1, 3, 9, 9, 6, 3, 3, 2, 0, true, false, Activation::None},
        {"1x1_s2_downsample", 1, 13, 7, 5, 50, 1, 1, 2, 0, true, false, Activation::None},
        {"3x3_wide", 1, 33, 14, 14, 77, 3, 3, 1, 1, true, true, Activation::Relu},
        {"1x3_rect", 2, 3, 5, 11, 5, 1, 3, 1, 1, false, true, Activation::Gelu},
        // Patchify (stride = kernel, no padding: ViT's patch embedding), with leftover input
        // rows and columns that no patch covers.
        {"4x4_s4_patchify", 2, 3, 9, 13, 7, 4, 4, 4, 0, true, false, Activation::Gelu},
        {"8x8_s8_patchify_vit", 2, 3, 32, 40, 40, 8, 8, 8, 0, true, false, Activation::None},
        // 3x3 stride 1 (ModifiedResNet's): odd sizes without padding, and more pixels than one
        // panel with a residual, an activation and channels past a register block.
        {"3x3_s1_p0_odd", 2, 5, 9, 11, 6, 3, 3, 1, 0, true, false, Activation::None},
        {"3x3_s1_p1_many_tiles", 1, 17, 20, 18, 30, 3, 3, 1, 1, true, true, Activation::Relu},
        // Shapes the fast CPU backend runs by Winograd's F(2x2, 3x3) (cpu_fast_winograd.h): odd
        // sizes (cut edge tiles), channels past whole vectors and panels, bias, residual, ReLU; and
        // a square image without bias or residual, under GELU. Then F(4x4, 3x3), with edge tiles
        // cut to one row and to three columns.
        {"3x3_winograd_odd", 2, 70, 9, 13, 67, 3, 3, 1, 1, true, true, Activation::Relu},
        {"3x3_winograd_square", 1, 64, 14, 14, 96, 3, 3, 1, 1, false, false, Activation::Gelu},
        {"3x3_winograd4_odd", 2, 40, 17, 15, 36, 3, 3, 1, 1, true, true, Activation::Relu},
    };
    std::vector<OpCase> cases;
    for (const C& c : convs) {
        cases.push_back({std::string("conv2d_") + c.name, Family::Matmul, [c](Graph& g, Data& d) {
                             Conv2dParams p;
                             p.stride_h = p.stride_w = c.stride;
                             p.pad_h = p.pad_w = c.pad;
                             if (c.kh == 1 && c.kw == 3) p.pad_h = 0;  // keep the rectangle case valid
                             p.act = c.act;
                             const ValueId x = d.input(g, "x", Shape{c.n, c.c, c.h, c.w});
                             const ValueId w = d.constant(g, "w", Shape{c.o, c.c, c.kh, c.kw}, 0.5f);
                             const ValueId b = c.bias ? d.constant(g, "b", Shape{c.o}) : -1;
                             ValueId r = -1;
                             if (c.residual) {
                                 const int64_t oh = (c.h + 2 * p.pad_h - c.kh) / p.stride_h + 1;
                                 const int64_t ow = (c.w + 2 * p.pad_w - c.kw) / p.stride_w + 1;
                                 r = d.input(g, "r", Shape{c.n, c.o, oh, ow});
                             }
                             g.mark_output(g.conv2d(x, w, b, p, r));
                         }});
    }
    // A chain of convolutions and an average pool (a bottleneck's), with every place where the fast
    // CPU backend's channels-last activations (cpu_fast_layout.h) meet the graph's NCHW: NCHW in,
    // NHWC between (a, b, p, with a as both input and residual of b and an odd-sized pool), NHWC
    // in and NCHW out (c, a graph output), an NCHW residual (e's), NCHW in and out (d).
    cases.push_back({"conv2d_chain_channels_last", Family::Matmul, [](Graph& g, Data& d) {
                         Conv2dParams same;
                         same.pad_h = same.pad_w = 1;
                         same.act = Activation::Relu;
                         const auto weights = [&](const char* name, Shape shape) {
                             return d.constant(g, name, std::move(shape), 0.5f);
                         };
                         const ValueId x = d.input(g, "x", Shape{2, 5, 9, 9});
                         const ValueId a = g.conv2d(x, weights("w1", Shape{6, 5, 3, 3}), d.constant(g, "b1", Shape{6}),
                                                    same, -1, "a");
                         const ValueId b =
                             g.conv2d(a, weights("w2", Shape{6, 6, 3, 3}), d.constant(g, "b2", Shape{6}), same, a, "b");
                         AvgPool2dParams pool;
                         pool.kernel_h = pool.kernel_w = pool.stride_h = pool.stride_w = 2;
                         const ValueId p = g.avg_pool2d(b, pool, "p");
                         const ValueId c =
                             g.conv2d(p, weights("w3", Shape{4, 6, 1, 1}), d.constant(g, "b3", Shape{4}), {}, -1, "c");
                         g.mark_output(c);
                         g.mark_output(g.conv2d(p, weights("w4", Shape{4, 6, 3, 3}), -1, same, c, "e"));
                         Conv2dParams down;
                         down.stride_h = down.stride_w = 2;
                         down.pad_h = down.pad_w = 1;
                         g.mark_output(g.conv2d(c, weights("w5", Shape{3, 4, 3, 3}), -1, down, -1, "d"));
                     }});
    // Grouped convolutions: depthwise (ConvNeXt's 7x7 pad 3, odd and tiny planes, a plane smaller
    // than the kernel), a depthwise channel multiplier, and groups of several channels with stride.
    struct G {
        const char* name;
        int64_t n, c, h, w, o, groups, k;
        int stride, pad;
        bool bias, residual;
        Activation act;
    };
    const G grouped[] = {
        {"dw7x7_p3_convnext", 2, 13, 11, 9, 13, 13, 7, 1, 3, true, false, Activation::None},
        {"dw7x7_p3_plane_2x1", 1, 8, 2, 1, 8, 8, 7, 1, 3, true, false, Activation::None},
        {"dw7x7_p3_wide_rows", 1, 3, 5, 70, 3, 3, 7, 1, 3, true, true, Activation::Gelu},
        {"dw3x3_s2_p1", 2, 6, 9, 8, 6, 6, 3, 2, 1, false, false, Activation::Relu},
        {"dw_multiplier2_3x3", 1, 4, 7, 7, 8, 4, 3, 1, 1, true, false, Activation::None},
        {"g3_5x5_s2_p2_residual", 2, 9, 10, 7, 6, 3, 5, 2, 2, true, true, Activation::None},
        {"dw1x1", 1, 5, 3, 4, 5, 5, 1, 1, 0, true, false, Activation::None},
    };
    for (const G& c : grouped) {
        cases.push_back({std::string("grouped_conv2d_") + c.name, Family::Matmul, [c](Graph& g, Data& d) {
                             Conv2dParams p;
                             p.stride_h = p.stride_w = c.stride;
                             p.pad_h = p.pad_w = c.pad;
                             p.groups = static_cast<int>(c.groups);
                             p.act = c.act;
                             const ValueId x = d.input(g, "x", Shape{c.n, c.c, c.h, c.w});
                             const ValueId w = d.constant(g, "w", Shape{c.o, c.c / c.groups, c.k, c.k}, 0.5f);
                             const ValueId b = c.bias ? d.constant(g, "b", Shape{c.o}) : -1;
                             ValueId r = -1;
                             if (c.residual) {
                                 const int64_t oh = (c.h + 2 * c.pad - c.k) / c.stride + 1;
                                 const int64_t ow = (c.w + 2 * c.pad - c.k) / c.stride + 1;
                                 r = d.input(g, "r", Shape{c.n, c.o, oh, ow});
                             }
                             g.mark_output(g.grouped_conv2d(x, w, b, p, r));
                         }});
    }
    return cases;
}

inline std::vector<OpCase> pool_and_norm_cases() {
    std::vector<OpCase> cases;
    struct P {
        const char* name;
        Shape x;
        int k, s;
    };
    for (const P& p : {P{"2x2_s2_odd", Shape{1, 3, 7, 7}, 2, 2}, P{"3x3_s1", Shape{2, 5, 13, 13}, 3, 1},
                       P{"2x2_s2_even", Shape{2, 3, 14, 14}, 2, 2}, P{"global_7", Shape{1, 2, 7, 7}, 7, 7}}) {
        cases.push_back({std::string("avg_pool2d_") + p.name, Family::Norm, [p](Graph& g, Data& d) {
                             AvgPool2dParams params;
                             params.kernel_h = params.kernel_w = p.k;
                             params.stride_h = params.stride_w = p.s;
                             g.mark_output(g.avg_pool2d(d.input(g, "x", p.x), params));
                         }});
    }
    for (const Shape& s : {Shape{1, 1}, Shape{3, 7}, Shape{5, 13}, Shape{2, 50, 768}, Shape{1, 257}, Shape{77, 512}}) {
        const std::string dims = s.str();
        cases.push_back({"layer_norm_" + dims, Family::Norm, [s](Graph& g, Data& d) {
                             const int64_t w = s[-1];
                             // Offset inputs: the mean must really be subtracted.
                             const ValueId x = g.unary(d.input(g, "x", s), Activation::None, 1.0f, 3.0f);
                             g.mark_output(g.layer_norm(x, d.constant(g, "gamma", Shape{w}),
                                                        d.constant(g, "beta", Shape{w}), 1e-5f));
                         }});
        cases.push_back({"l2_normalize_" + dims, Family::Norm,
                         [s](Graph& g, Data& d) { g.mark_output(g.l2_normalize(d.input(g, "x", s))); }});
        cases.push_back({"softmax_" + dims, Family::Norm,
                         [s](Graph& g, Data& d) { g.mark_output(g.softmax(d.input(g, "x", s, 8.0f))); }});
    }
    cases.push_back({"l2_normalize_zero_row", Family::Norm, [](Graph& g, Data& d) {
                         const ValueId x = g.unary(d.input(g, "x", Shape{2, 5}), Activation::None, 0.0f, 0.0f);
                         g.mark_output(g.l2_normalize(x));
                     }});
    cases.push_back({"softmax_logits_1000", Family::Norm, [](Graph& g, Data& d) {
                         g.mark_output(g.softmax(d.input(g, "x", Shape{5, 1000}, 30.0f)));
                     }});
    return cases;
}

inline std::vector<OpCase> attention_cases() {
    struct A {
        const char* name;
        int64_t batch, q_len, kv_len, heads, dim;
        bool packed, causal, cosine, head_scale, q_broadcast;
    };
    const A attns[] = {
        {"packed_1x1", 1, 1, 1, 1, 1, true, false, false, false, false},
        {"packed_l7_h3_d5", 2, 7, 7, 3, 5, true, false, false, false, false},
        {"packed_l50_h4_d16", 2, 50, 50, 4, 16, true, false, false, false, false},
        {"packed_causal_l77_h8_d64", 2, 77, 77, 8, 64, true, true, false, false, false},
        {"packed_l197_h2_d64", 1, 197, 197, 2, 64, true, false, false, false, false},
        {"packed_l257_h1_d13", 1, 257, 257, 1, 13, true, false, false, false, false},
        {"separate_lq5_lk13", 2, 5, 13, 2, 7, false, false, false, false, false},
        {"separate_q_broadcast_lk50", 3, 1, 50, 8, 16, false, false, false, false, true},
        {"cosine_head_scale_l13", 2, 13, 13, 3, 8, true, false, true, true, false},
        {"cosine_separate_lq3_lk7", 2, 3, 7, 2, 9, false, false, true, false, false},
        {"causal_cosine_l13", 1, 13, 13, 2, 8, true, true, true, false, false},
        {"head_scale_l50", 2, 50, 50, 4, 16, true, false, false, true, false},
        {"causal_l257_d64", 1, 257, 257, 1, 64, true, true, false, false, false},
    };
    std::vector<OpCase> cases;
    for (const A& a : attns) {
        cases.push_back(
            {std::string("attention_") + a.name, Family::Matmul, [a](Graph& g, Data& d) {
                 const int64_t width = a.heads * a.dim;
                 AttentionParams p;
                 p.heads = static_cast<int>(a.heads);
                 p.packed_qkv = a.packed;
                 p.causal = a.causal;
                 p.cosine = a.cosine;
                 p.has_head_scale = a.head_scale;
                 p.scale = 1.0f / std::sqrt(static_cast<float>(a.dim));
                 std::vector<ValueId> inputs;
                 if (a.packed) {
                     inputs.push_back(d.input(g, "qkv", Shape{a.batch, a.q_len, 3 * width}, 2.0f));
                 } else {
                     inputs.push_back(d.input(g, "q", Shape{a.q_broadcast ? 1 : a.batch, a.q_len, width}, 2.0f));
                     inputs.push_back(d.input(g, "k", Shape{a.batch, a.kv_len, width}, 2.0f));
                     inputs.push_back(d.input(g, "v", Shape{a.batch, a.kv_len, width}));
                 }
                 if (a.cosine) {
                     const ValueId raw = d.constant(g, "logit_scale", Shape{a.heads});
                     inputs.push_back(g.unary(raw, Activation::None, 5.0f, 10.0f));  // multipliers in [5, 15]
                 }
                 if (a.head_scale) inputs.push_back(d.constant(g, "head_scale", Shape{a.heads}));
                 g.mark_output(g.attention(inputs, p));
             }});
    }
    return cases;
}

inline std::vector<OpCase> layout_cases() {
    std::vector<OpCase> cases;
    cases.push_back(
        {"embedding_small", Family::Exact, [](Graph& g, Data& d) {
             g.mark_output(g.embedding(d.random_ids(g, "ids", Shape{2, 7}, 13), d.constant(g, "table", Shape{13, 5})));
         }});
    cases.push_back({"embedding_text", Family::Exact, [](Graph& g, Data& d) {
                         g.mark_output(g.embedding(d.random_ids(g, "ids", Shape{3, 77}, 50),
                                                   d.constant(g, "table", Shape{50, 64})));
                     }});
    cases.push_back({"concat_class_token", Family::Exact, [](Graph& g, Data& d) {
                         const ValueId cls = d.constant(g, "cls", Shape{1, 1, 8});
                         g.mark_output(g.concat({cls, d.input(g, "x", Shape{3, 7, 8})}, 1));
                     }});
    cases.push_back({"concat_last_axis", Family::Exact, [](Graph& g, Data& d) {
                         g.mark_output(g.concat({d.input(g, "a", Shape{2, 3}), d.input(g, "b", Shape{2, 5})}, -1));
                     }});
    cases.push_back({"concat_axis0", Family::Exact, [](Graph& g, Data& d) {
                         g.mark_output(g.concat({d.input(g, "a", Shape{3, 2, 5}), d.input(g, "b", Shape{1, 2, 5})}, 0));
                     }});
    cases.push_back({"concat_three_broadcast", Family::Exact, [](Graph& g, Data& d) {
                         g.mark_output(g.concat({d.input(g, "a", Shape{1, 1, 4}), d.input(g, "b", Shape{2, 3, 4}),
                                                 d.input(g, "c", Shape{2, 2, 1})},
                                                1));
                     }});
    const std::vector<std::vector<int>> perms = {{0, 2, 1, 3}, {3, 2, 1, 0}, {1, 0, 2, 3}, {0, 1, 2, 3}, {2, 0, 3, 1}};
    for (const auto& perm : perms) {
        std::string name = "permute";
        for (int p : perm) {
            name += '_';  // not "_" + to_string(p): GCC 12 -O3 warns falsely (-Wrestrict) on that
            name += std::to_string(p);
        }
        cases.push_back({name, Family::Exact, [perm](Graph& g, Data& d) {
                             g.mark_output(g.permute(d.input(g, "x", Shape{2, 3, 5, 7}), perm));
                         }});
    }
    cases.push_back({"permute_nchw_tokens", Family::Exact, [](Graph& g, Data& d) {
                         // [N, C, H*W] -> [N, H*W, C], as the ViT patch embedding and ResNet attnpool do.
                         const ValueId x = g.reshape(d.input(g, "x", Shape{2, 13, 7, 7}), Shape{2, 13, 49});
                         g.mark_output(g.permute(x, {0, 2, 1}));
                     }});
    const std::pair<PoolMode, const char*> modes[] = {{PoolMode::First, "first"},
                                                      {PoolMode::Last, "last"},
                                                      {PoolMode::Argmax, "argmax"},
                                                      {PoolMode::Eos, "eos"},
                                                      {PoolMode::Mean, "mean"}};
    for (const auto& [mode, name] : modes) {
        for (int start : {0, 1}) {
            if (start == 1 && mode != PoolMode::Mean) continue;
            cases.push_back(
                {std::string("token_pool_") + name + (start ? "_from1" : ""),
                 mode == PoolMode::Mean ? Family::Norm : Family::Exact, [mode = mode, start](Graph& g, Data& d) {
                     TokenPoolParams p;
                     p.mode = mode;
                     p.eos_id = 9;
                     p.mean_start = start;
                     // Row 0 has two maxima and two eos ids; row 1 its eos last; row 2 eos first.
                     const ValueId ids =
                         d.ids(g, "ids", {1, 7, 9, 3, 9, 2, 0, 4, 5, 6, 2, 1, 0, 9, 9, 9, 8, 1, 2, 3, 4}, Shape{3, 7});
                     const ValueId x = d.input(g, "x", Shape{3, 7, 5});
                     g.mark_output(g.token_pool(x, mode == PoolMode::Argmax || mode == PoolMode::Eos ? ids : -1, p));
                 }});
        }
    }
    return cases;
}

// A small chain: dependent and independent dispatches, reshapes, several outputs.
inline std::vector<OpCase> graph_cases() {
    return {
        {"block_chain", Family::Matmul, [](Graph& g, Data& d) {
             const ValueId x = d.input(g, "x", Shape{2, 13, 32});
             const ValueId ln = g.layer_norm(x, d.constant(g, "g", Shape{32}), d.constant(g, "b", Shape{32}), 1e-5f);
             const ValueId qkv = g.linear(ln, d.constant(g, "w_qkv", Shape{96, 32}), d.constant(g, "b_qkv", Shape{96}));
             AttentionParams p;
             p.heads = 4;
             p.packed_qkv = true;
             p.scale = 1.0f / std::sqrt(8.0f);
             const ValueId attn = g.attention({qkv}, p);
             const ValueId y = g.linear(attn, d.constant(g, "w_o", Shape{32, 32}), d.constant(g, "b_o", Shape{32}),
                                        Activation::None, x);
             const ValueId h = g.linear(y, d.constant(g, "w_fc", Shape{64, 32}), -1, Activation::QuickGelu);
             const ValueId out = g.linear(h, d.constant(g, "w_proj", Shape{32, 64}), -1, Activation::None, y);
             const ValueId flat = g.reshape(out, Shape{26, 32});
             g.mark_output(g.l2_normalize(flat));
             g.mark_output(g.softmax(out));
         }}};
}

// Edge cases of the pooled position (graph.h: Eos takes position 0 when a row has no eos id, as
// torch.argmax(ids == eos_id); Argmax the first maximum): batch 1, odd batches, length 1, rows
// without an eos id and all-padding rows. Last in the table, so that the cases before them keep
// their indices and with them their data (the seed is 1234 + index).
inline std::vector<OpCase> token_pool_edge_cases() {
    std::vector<OpCase> cases;
    const std::pair<PoolMode, const char*> modes[] = {{PoolMode::First, "first"},
                                                      {PoolMode::Last, "last"},
                                                      {PoolMode::Argmax, "argmax"},
                                                      {PoolMode::Eos, "eos"},
                                                      {PoolMode::Mean, "mean"}};
    struct PoolRows {
        const char* name;
        int64_t batch, len;
        std::vector<int32_t> ids;
    };
    const PoolRows layouts[] = {
        {"b1_no_eos", 1, 6, {3, 1, 4, 1, 5, 2}},
        {"b3_len1", 3, 1, {9, 0, 4}},
        // no eos; all padding; eos last; eos first then padding; two eos ids
        {"b5_padding", 5, 4, {1, 2, 3, 4, 0, 0, 0, 0, 1, 2, 3, 9, 9, 0, 0, 0, 2, 9, 5, 9}},
    };
    for (const auto& [mode, name] : modes) {
        for (const PoolRows& rows : layouts) {
            for (int start : {0, 1}) {
                if (start == 1 && (mode != PoolMode::Mean || rows.len == 1)) continue;
                cases.push_back({std::string("token_pool_") + name + (start ? "_from1_" : "_") + rows.name,
                                 mode == PoolMode::Mean ? Family::Norm : Family::Exact,
                                 [mode = mode, start, rows](Graph& g, Data& d) {
                                     TokenPoolParams p;
                                     p.mode = mode;
                                     p.eos_id = 9;
                                     p.mean_start = start;
                                     const ValueId ids = d.ids(g, "ids", rows.ids, Shape{rows.batch, rows.len});
                                     const ValueId x = d.input(g, "x", Shape{rows.batch, rows.len, 5});
                                     g.mark_output(g.token_pool(
                                         x, mode == PoolMode::Argmax || mode == PoolMode::Eos ? ids : -1, p));
                                 }});
            }
        }
    }
    return cases;
}

// A key mask [batch, len] (1 seen, 0 hidden) of rows cycling through: everything seen; a padded
// prefix; holes; only the last key; nothing seen (the query gives zeros); only the first key.
inline std::vector<int32_t> key_mask_rows(int64_t batch, int64_t len) {
    std::vector<int32_t> mask(static_cast<size_t>(batch * len), 0);
    for (int64_t b = 0; b < batch; ++b) {
        for (int64_t j = 0; j < len; ++j) {
            int32_t seen = 1;
            switch (b % 6) {
                case 0:
                    seen = 1;
                    break;
                case 1:
                    seen = j < (len + 1) / 2;
                    break;
                case 2:
                    seen = j % 3 != 1;
                    break;
                case 3:
                    seen = j == len - 1;
                    break;
                case 4:
                    seen = 0;
                    break;
                case 5:
                    seen = j == 0;
                    break;
            }
            mask[static_cast<size_t>(b * len + j)] = seen;
        }
    }
    return mask;
}

// The ops of Hugging Face encoders (BERT, RoBERTa, XLM-R): attention with a key-padding mask,
// masked mean and max pooling, tanh, and a post-norm encoder layer chaining them. Last in the table
// so that every earlier case keeps its index and data.
inline std::vector<OpCase> hf_encoder_cases() {
    std::vector<OpCase> cases;
    cases.push_back({"tanh_3x5", Family::Elementwise, [](Graph& g, Data& d) {
                         g.mark_output(g.tanh(d.input(g, "x", Shape{3, 5}, 3.0f)));
                     }});
    cases.push_back({"tanh_wide_4097", Family::Elementwise, [](Graph& g, Data& d) {
                         g.mark_output(g.tanh(d.input(g, "x", Shape{4097}, 20.0f)));  // saturates both ways
                     }});
    struct A {
        const char* name;
        int64_t batch, q_len, kv_len, heads, dim;
        bool packed, causal, cosine;
    };
    const A attns[] = {
        {"key_mask_b6_l13_h2_d8", 6, 13, 13, 2, 8, true, false, false},
        {"key_mask_b1_l1", 1, 1, 1, 1, 4, true, false, false},
        {"key_mask_b7_l77_h4_d64", 7, 77, 77, 4, 64, true, false, false},
        {"key_mask_b6_l130_h2_d32", 6, 130, 130, 2, 32, true, false, false},
        {"key_mask_separate_lq5_lk13", 6, 5, 13, 2, 7, false, false, false},
        {"key_mask_causal_l13", 6, 13, 13, 2, 8, true, true, false},
        {"key_mask_cosine_l13", 6, 13, 13, 3, 8, true, false, true},
    };
    for (const A& a : attns) {
        cases.push_back(
            {std::string("attention_") + a.name, Family::Matmul, [a](Graph& g, Data& d) {
                 const int64_t width = a.heads * a.dim;
                 AttentionParams p;
                 p.heads = static_cast<int>(a.heads);
                 p.packed_qkv = a.packed;
                 p.causal = a.causal;
                 p.cosine = a.cosine;
                 p.has_key_mask = true;
                 p.scale = 1.0f / std::sqrt(static_cast<float>(a.dim));
                 std::vector<ValueId> inputs;
                 if (a.packed) {
                     inputs.push_back(d.input(g, "qkv", Shape{a.batch, a.q_len, 3 * width}, 2.0f));
                 } else {
                     inputs.push_back(d.input(g, "q", Shape{a.batch, a.q_len, width}, 2.0f));
                     inputs.push_back(d.input(g, "k", Shape{a.batch, a.kv_len, width}, 2.0f));
                     inputs.push_back(d.input(g, "v", Shape{a.batch, a.kv_len, width}));
                 }
                 if (a.cosine) {
                     const ValueId raw = d.constant(g, "logit_scale", Shape{a.heads});
                     inputs.push_back(g.unary(raw, Activation::None, 5.0f, 10.0f));
                 }
                 inputs.push_back(d.ids(g, "key_mask", key_mask_rows(a.batch, a.kv_len), Shape{a.batch, a.kv_len}));
                 g.mark_output(g.attention(inputs, p));
             }});
    }
    struct P {
        const char* name;
        int64_t batch, len, width;
    };
    for (const P& shape : {P{"b6_l7_w5", 6, 7, 5}, P{"b1_l1_w3", 1, 1, 3}, P{"b7_l33_w67", 7, 33, 67}}) {
        for (const auto& [mode, name] :
             {std::pair{PoolMode::MaskedMean, "masked_mean"}, std::pair{PoolMode::MaskedMax, "masked_max"}}) {
            cases.push_back({std::string("token_pool_") + name + "_" + shape.name, Family::Norm,
                             [mode = mode, shape](Graph& g, Data& d) {
                                 TokenPoolParams p;
                                 p.mode = mode;
                                 const ValueId mask = d.ids(g, "mask", key_mask_rows(shape.batch, shape.len),
                                                            Shape{shape.batch, shape.len});
                                 const ValueId x = d.input(g, "x", Shape{shape.batch, shape.len, shape.width});
                                 g.mark_output(g.token_pool(x, mask, p));
                             }});
        }
    }
    // BERT's encoder layer (post-norm) on embeddings of ids plus positions, then masked mean
    // pooling and the tanh pooler on the first token.
    cases.push_back(
        {"bert_layer_chain", Family::Matmul, [](Graph& g, Data& d) {
             const int64_t batch = 3, len = 11, width = 24, heads = 3;
             const ValueId ids = d.random_ids(g, "ids", Shape{batch, len}, 29);
             std::vector<int32_t> mask_values(static_cast<size_t>(batch * len), 1);
             for (int64_t j = 4; j < len; ++j) mask_values[static_cast<size_t>(len + j)] = 0;      // row 1: 4 tokens
             for (int64_t j = 9; j < len; ++j) mask_values[static_cast<size_t>(2 * len + j)] = 0;  // row 2: 9 tokens
             const ValueId mask = d.ids(g, "mask", mask_values, Shape{batch, len});
             ValueId x = g.embedding(ids, d.constant(g, "word", Shape{29, width}));
             x = g.binary(BinaryOp::Add, x, d.constant(g, "positions", Shape{len, width}));
             x = g.layer_norm(x, d.constant(g, "ln_e_g", Shape{width}), d.constant(g, "ln_e_b", Shape{width}), 1e-12f);
             const ValueId qkv = g.linear(x, d.constant(g, "w_qkv", Shape{3 * width, width}, 0.3f),
                                          d.constant(g, "b_qkv", Shape{3 * width}));
             AttentionParams p;
             p.heads = static_cast<int>(heads);
             p.packed_qkv = true;
             p.has_key_mask = true;
             p.scale = 1.0f / std::sqrt(8.0f);
             const ValueId attn = g.attention({qkv, mask}, p);
             ValueId y = g.linear(attn, d.constant(g, "w_o", Shape{width, width}, 0.3f),
                                  d.constant(g, "b_o", Shape{width}), Activation::None, x);
             y = g.layer_norm(y, d.constant(g, "ln1_g", Shape{width}), d.constant(g, "ln1_b", Shape{width}), 1e-12f);
             const ValueId h = g.linear(y, d.constant(g, "w_i", Shape{2 * width, width}, 0.3f),
                                        d.constant(g, "b_i", Shape{2 * width}), Activation::Gelu);
             ValueId out = g.linear(h, d.constant(g, "w_out", Shape{width, 2 * width}, 0.3f),
                                    d.constant(g, "b_out", Shape{width}), Activation::None, y);
             out =
                 g.layer_norm(out, d.constant(g, "ln2_g", Shape{width}), d.constant(g, "ln2_b", Shape{width}), 1e-12f);
             TokenPoolParams mean;
             mean.mode = PoolMode::MaskedMean;
             g.mark_output(g.token_pool(out, mask, mean));
             TokenPoolParams first;
             const ValueId cls = g.token_pool(out, -1, first);
             g.mark_output(g.tanh(g.linear(cls, d.constant(g, "w_pool", Shape{width, width}, 0.3f),
                                           d.constant(g, "b_pool", Shape{width}))));
         }});
    return cases;
}

inline std::vector<OpCase> all_cases() {
    std::vector<OpCase> all;
    for (auto make : {unary_cases, binary_cases, linear_cases, conv_cases, pool_and_norm_cases, attention_cases,
                      layout_cases, graph_cases, token_pool_edge_cases, hf_encoder_cases}) {
        for (OpCase& c : make()) all.push_back(std::move(c));
    }
    return all;
}

inline const std::vector<OpCase>& cases() {
    static const std::vector<OpCase> all = all_cases();
    return all;
}

}  // namespace cliprt::op_parity
