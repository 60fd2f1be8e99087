// The CPU reference backend against PyTorch: every op and option, one golden case at a time
// (tests/data/op_goldens, made by tools/make_op_goldens.py), plus the backend's own contract.
//
// Metric: f32 results must satisfy max |got - expected| <= 1e-5 * max |expected| (torch and the
// oracle both compute in f32, differing only in summation order and last-ulp rounding of exp,
// erf, tanh) and NMSE = sum (got - expected)^2 / sum expected^2 <= 1e-10.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cliprt/cpu_backend.h"
#include "cliprt/error.h"
#include "cliprt/executor.h"
#include "cliprt/graph.h"
#include "cpu/cpu_kernels.h"

namespace cliprt {
namespace {

using nlohmann::json;

constexpr double kMaxRelativeError = 1e-5;
constexpr double kMaxNmse = 1e-10;

struct Golden {
    std::string name;
    std::string op;
    json params;
    std::map<std::string, Tensor> tensors;

    bool has(const std::string& tensor) const { return tensors.count(tensor) != 0; }
    const Tensor& at(const std::string& tensor) const {
        auto it = tensors.find(tensor);
        if (it == tensors.end()) fail("golden ", name, " has no tensor ", tensor);
        return it->second;
    }
};

Golden load_golden(const std::string& name) {
    const std::string base = std::string(CLIPRT_SOURCE_DIR) + "/tests/data/op_goldens/" + name;
    std::ifstream manifest_file(base + ".json");
    if (!manifest_file) fail("missing golden ", base, ".json (run tools/make_op_goldens.py)");
    const json manifest = json::parse(manifest_file);
    std::ifstream bin(base + ".bin", std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(bin)), std::istreambuf_iterator<char>());

    Golden g;
    g.name = name;
    g.op = manifest.at("op").get<std::string>();
    g.params = manifest.at("params");
    for (const auto& [tensor_name, info] : manifest.at("tensors").items()) {
        const DType dtype = parse_dtype(info.at("dtype").get<std::string>());
        Tensor t(Shape(info.at("shape").get<std::vector<int64_t>>()), dtype);
        const size_t offset = info.at("offset").get<size_t>() * 4;
        if (offset + t.nbytes() > bytes.size())
            fail("golden ", name, ": tensor ", tensor_name, " past the end of .bin");
        std::memcpy(t.data(), bytes.data() + offset, t.nbytes());
        g.tensors.emplace(tensor_name, std::move(t));
    }
    return g;
}

Activation parse_activation(const std::string& text) {
    for (Activation act : {Activation::None, Activation::Relu, Activation::Gelu, Activation::GeluTanh,
                           Activation::QuickGelu, Activation::Sigmoid}) {
        if (text == activation_name(act)) return act;
    }
    fail("unknown activation ", text);
}

PoolMode parse_pool_mode(const std::string& text) {
    static const std::map<std::string, PoolMode> modes{
        {"first", PoolMode::First},         {"last", PoolMode::Last},
        {"argmax", PoolMode::Argmax},       {"eos", PoolMode::Eos},
        {"mean", PoolMode::Mean},           {"masked_mean", PoolMode::MaskedMean},
        {"masked_max", PoolMode::MaskedMax}};
    return modes.at(text);
}

// A graph under construction plus the host tensors for its inputs, in graph.inputs() order.
struct GraphAndInputs {
    std::shared_ptr<Graph> graph = std::make_shared<Graph>();
    std::vector<Tensor> inputs;

    ValueId input(const std::string& name, const Tensor& t) {
        inputs.push_back(t);
        return graph->add_input(name, t.shape(), t.dtype());
    }
    ValueId constant(const std::string& name, const Tensor& t) { return graph->add_constant(name, t); }
};

// Builds the golden's op the way the model builders do: activations as graph inputs, weights and
// per-head parameters as constants.
GraphAndInputs build_case(const Golden& g) {
    GraphAndInputs b;
    Graph& graph = *b.graph;
    const json& p = g.params;
    ValueId y = -1;
    if (g.op == "linear") {
        const ValueId x = b.input("x", g.at("x"));
        const ValueId w = b.constant("w", g.at("w"));
        const ValueId bias = p.at("bias").get<bool>() ? b.constant("b", g.at("b")) : -1;
        const ValueId residual = p.at("residual").get<bool>() ? b.input("residual", g.at("residual")) : -1;
        y = graph.linear(x, w, bias, parse_activation(p.at("act")), residual, "linear");
    } else if (g.op == "conv2d" || g.op == "grouped_conv2d") {
        const ValueId x = b.input("x", g.at("x"));
        const ValueId w = b.constant("w", g.at("w"));
        const ValueId bias = p.at("bias").get<bool>() ? b.constant("b", g.at("b")) : -1;
        const ValueId residual = p.at("residual").get<bool>() ? b.input("residual", g.at("residual")) : -1;
        Conv2dParams cp;
        cp.stride_h = p.at("stride")[0];
        cp.stride_w = p.at("stride")[1];
        cp.pad_h = p.at("pad")[0];
        cp.pad_w = p.at("pad")[1];
        cp.act = parse_activation(p.at("act"));
        if (g.op == "grouped_conv2d") {
            cp.groups = p.at("groups");
            y = graph.grouped_conv2d(x, w, bias, cp, residual, "grouped_conv");
        } else {
            y = graph.conv2d(x, w, bias, cp, residual, "conv");
        }
    } else if (g.op == "avg_pool2d") {
        AvgPool2dParams ap;
        ap.kernel_h = p.at("kernel")[0];
        ap.kernel_w = p.at("kernel")[1];
        ap.stride_h = p.at("stride")[0];
        ap.stride_w = p.at("stride")[1];
        y = graph.avg_pool2d(b.input("x", g.at("x")), ap, "pool");
    } else if (g.op == "layer_norm") {
        y = graph.layer_norm(b.input("x", g.at("x")), b.constant("gamma", g.at("gamma")),
                             b.constant("beta", g.at("beta")), p.at("eps").get<float>(), "ln");
    } else if (g.op == "attention") {
        AttentionParams ap;
        ap.heads = p.at("heads");
        ap.packed_qkv = p.at("packed");
        ap.causal = p.at("causal");
        ap.cosine = p.at("cosine");
        ap.has_head_scale = p.at("head_scale");
        ap.scale = p.at("scale").get<float>();
        ap.has_key_mask = p.value("key_mask", false);
        std::vector<ValueId> inputs;
        if (ap.packed_qkv) {
            inputs.push_back(b.input("qkv", g.at("qkv")));
        } else {
            for (const char* name : {"q", "k", "v"}) inputs.push_back(b.input(name, g.at(name)));
        }
        if (ap.cosine) inputs.push_back(b.constant("logit_mult", g.at("logit_mult")));
        if (ap.has_head_scale) inputs.push_back(b.constant("head_scale", g.at("head_scale")));
        if (ap.has_key_mask) inputs.push_back(b.input("key_mask", g.at("key_mask")));
        y = graph.attention(inputs, ap, "attn");
    } else if (g.op == "unary") {
        y = graph.unary(b.input("x", g.at("x")), parse_activation(p.at("act")), p.at("alpha").get<float>(),
                        p.at("beta").get<float>(), "unary");
    } else if (g.op == "binary") {
        const BinaryOp op = p.at("binary_op") == "add" ? BinaryOp::Add : BinaryOp::Mul;
        y = graph.binary(op, b.input("a", g.at("a")), b.input("b", g.at("b")), "binary");
    } else if (g.op == "embedding") {
        y = graph.embedding(b.input("ids", g.at("ids")), b.constant("table", g.at("table")), "embed");
    } else if (g.op == "concat") {
        std::vector<ValueId> inputs;
        for (int i = 0; g.has("x" + std::to_string(i)); ++i) {
            const std::string name = "x" + std::to_string(i);
            inputs.push_back(b.input(name, g.at(name)));
        }
        y = graph.concat(inputs, p.at("axis"), "concat");
    } else if (g.op == "permute") {
        y = graph.permute(b.input("x", g.at("x")), p.at("perm").get<std::vector<int>>(), "permute");
    } else if (g.op == "token_pool") {
        TokenPoolParams tp;
        tp.mode = parse_pool_mode(p.at("mode"));
        tp.eos_id = p.at("eos_id");
        tp.mean_start = p.at("mean_start");
        const ValueId x = b.input("x", g.at("x"));
        const ValueId ids = g.has("ids") ? b.input("ids", g.at("ids")) : -1;
        y = graph.token_pool(x, ids, tp, "pool");
    } else if (g.op == "l2_normalize") {
        y = graph.l2_normalize(b.input("x", g.at("x")), "l2");
    } else if (g.op == "softmax") {
        y = graph.softmax(b.input("x", g.at("x")), "softmax");
    } else if (g.op == "tanh") {
        y = graph.tanh(b.input("x", g.at("x")), "tanh");
    } else if (g.op == "vit_stem") {
        const Tensor& x = g.at("x");
        const int64_t batch = x.shape()[0];
        const int64_t width = g.at("w").shape()[0];
        Conv2dParams cp;
        cp.stride_h = cp.stride_w = p.at("patch");
        ValueId t = graph.conv2d(b.input("x", x), b.constant("w", g.at("w")), -1, cp, -1, "patch");
        const int64_t grid = graph.shape(t)[2] * graph.shape(t)[3];
        t = graph.reshape(t, Shape{batch, width, grid}, "flatten");
        t = graph.permute(t, {0, 2, 1}, "to_tokens");
        t = graph.concat({b.constant("cls", g.at("cls")), t}, 1, "with_cls");
        t = graph.binary(BinaryOp::Add, t, b.constant("pos", g.at("pos")), "add_pos");
        y = graph.layer_norm(t, b.constant("gamma", g.at("gamma")), b.constant("beta", g.at("beta")), 1e-5f, "ln_pre");
    } else {
        fail("golden ", g.name, ": unknown op ", g.op);
    }
    graph.mark_output(y);
    return b;
}

std::vector<Tensor> run_on_cpu(const GraphAndInputs& b, int threads, int runs = 1) {
    std::unique_ptr<Backend> backend = make_cpu_ref_backend(threads);
    WeightCache weights(*backend);
    CompiledGraph compiled(b.graph, *backend, weights);
    std::vector<Tensor> outputs;
    for (int r = 0; r < runs; ++r) outputs = compiled.run(b.inputs);
    return outputs;
}

void expect_close(const Tensor& got, const Tensor& expected) {
    ASSERT_EQ(got.shape(), expected.shape());
    const float* a = got.f32();
    const float* e = expected.f32();
    double max_expected = 0.0, max_error = 0.0, error_sq = 0.0, expected_sq = 0.0;
    for (int64_t i = 0; i < expected.numel(); ++i) {
        ASSERT_TRUE(std::isfinite(a[i])) << "element " << i;
        const double diff = static_cast<double>(a[i]) - e[i];
        max_expected = std::max(max_expected, std::fabs(static_cast<double>(e[i])));
        max_error = std::max(max_error, std::fabs(diff));
        error_sq += diff * diff;
        expected_sq += static_cast<double>(e[i]) * e[i];
    }
    EXPECT_LE(max_error, kMaxRelativeError * max_expected) << "max |expected| " << max_expected;
    if (expected_sq > 0.0) {
        EXPECT_LE(error_sq / expected_sq, kMaxNmse);
    }
}

void expect_bitwise_equal(const Tensor& a, const Tensor& b) {
    ASSERT_EQ(a.shape(), b.shape());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.nbytes()), 0);
}

// Runs one golden case with one and with three threads (the results must agree bit for bit:
// the work split never changes a summation order), twice in a row on the same program.
void check_golden(const std::string& name) {
    SCOPED_TRACE(name);
    const Golden g = load_golden(name);
    const GraphAndInputs b = build_case(g);
    const std::vector<Tensor> single = run_on_cpu(b, 1);
    const std::vector<Tensor> multi = run_on_cpu(b, 3, 2);
    ASSERT_EQ(single.size(), 1u);
    expect_close(single[0], g.at("y"));
    expect_bitwise_equal(multi[0], single[0]);
}

void check_goldens(const std::vector<std::string>& names) {
    for (const std::string& name : names) check_golden(name);
}

TEST(CpuOps, Linear) {
    check_goldens({"linear_plain", "linear_bias", "linear_relu", "linear_gelu", "linear_gelu_tanh", "linear_quick_gelu",
                   "linear_sigmoid", "linear_residual", "linear_residual_nobias", "linear_gelu_residual",
                   "linear_blocked", "linear_single"});
}

TEST(CpuOps, Conv2d) {
    check_goldens({"conv_3x3_s1_p1", "conv_3x3_s2_p1_relu", "conv_1x1_nobias", "conv_1x1_relu_residual", "conv_patch",
                   "conv_7x7_s2_p3", "conv_rect", "conv_1x1_image", "conv_blocked"});
}

TEST(CpuOps, GroupedConv2d) {
    check_goldens(
        {"grouped_conv_dw7x7", "grouped_conv_dw7x7_small_plane", "grouped_conv_dw_multiplier", "grouped_conv_g3"});
}

TEST(CpuOps, AvgPool2d) { check_goldens({"avg_pool_2x2", "avg_pool_3x3_s1", "avg_pool_rect"}); }

TEST(CpuOps, LayerNorm) { check_goldens({"layer_norm", "layer_norm_offset"}); }

TEST(CpuOps, Attention) {
    check_goldens({"attn_separate", "attn_packed", "attn_packed_causal", "attn_separate_causal",
                   "attn_cosine_head_scale", "attn_packed_cosine_causal", "attn_packed_head_scale", "attn_q_broadcast",
                   "attn_q_broadcast_cosine", "attn_lq1", "attn_long_head"});
}

TEST(CpuOps, Unary) {
    for (const char* act : {"none", "relu", "gelu", "gelu_tanh", "quick_gelu", "sigmoid"}) {
        check_golden(std::string("unary_") + act);
        check_golden(std::string("unary_") + act + "_affine");
    }
}

TEST(CpuOps, Binary) {
    check_goldens({"binary_add", "binary_mul", "binary_add_row", "binary_mul_middle", "binary_add_column",
                   "binary_mul_scalar", "binary_add_nchw_channel"});
}

TEST(CpuOps, Embedding) { check_golden("embedding"); }

TEST(CpuOps, Concat) { check_goldens({"concat_axis0", "concat_class_token", "concat_last_axis"}); }

TEST(CpuOps, Permute) { check_goldens({"permute_021", "permute_0231", "permute_3102"}); }

TEST(CpuOps, TokenPool) {
    check_goldens(
        {"pool_first", "pool_last", "pool_argmax", "pool_eos", "pool_eos_custom", "pool_mean", "pool_mean_from1"});
}

TEST(CpuOps, HfEncoderOps) {
    check_goldens({"tanh", "attn_key_mask_packed", "attn_key_mask_separate", "pool_masked_mean", "pool_masked_max"});
}

TEST(CpuOps, L2NormalizeAndSoftmax) { check_goldens({"l2_normalize", "softmax", "softmax_large"}); }

TEST(CpuOps, FewNodeVitStem) { check_golden("chain_vit_stem"); }

// An embedding graph over `ids` with a 4-row table.
GraphAndInputs embedding_graph(const std::vector<int32_t>& ids) {
    GraphAndInputs b;
    const ValueId x = b.input("ids", Tensor::from_i32(Shape{1, static_cast<int64_t>(ids.size())}, ids));
    const ValueId table = b.constant("table", Tensor(Shape{4, 3}, DType::F32));
    b.graph->mark_output(b.graph->embedding(x, table, "token_embedding"));
    return b;
}

TEST(CpuOps, EmbeddingIdOutOfRangeIsAnErrorNamingTheNode) {
    for (int32_t bad : {4, -1, 1 << 30}) {
        const GraphAndInputs b = embedding_graph({0, 1, bad, 2});
        try {
            run_on_cpu(b, 2);
            ADD_FAILURE() << "id " << bad << " was accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("token_embedding"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(std::to_string(bad)), std::string::npos) << e.what();
        }
    }
    EXPECT_NO_THROW(run_on_cpu(embedding_graph({0, 3, 2, 1}), 2));
}

TEST(CpuBackend, DispatchCountSkipsViews) {
    std::unique_ptr<Backend> backend = make_cpu_ref_backend(2);
    WeightCache weights(*backend);
    auto graph = std::make_shared<Graph>();
    ValueId x = graph->add_input("x", Shape{2, 3, 4}, DType::F32);
    x = graph->reshape(x, Shape{6, 4});
    x = graph->linear(x, graph->add_constant("w", Tensor(Shape{5, 4}, DType::F32)));
    x = graph->reshape(x, Shape{2, 3, 5});
    x = graph->softmax(x);
    graph->mark_output(x);
    CompiledGraph compiled(graph, *backend, weights);
    EXPECT_EQ(compiled.program().dispatch_count(), 2);
    EXPECT_EQ(compiled.program().submit_count(), 1);
    // A zero linear then softmax over 5: uniform.
    const std::vector<Tensor> out = compiled.run({Tensor(Shape{2, 3, 4}, DType::F32)});
    for (int64_t i = 0; i < out[0].numel(); ++i) EXPECT_FLOAT_EQ(out[0].f32()[i], 0.2f);
}

TEST(CpuBackend, DeviceInfo) {
    const DeviceInfo info = make_cpu_ref_backend(3)->device_info();
    EXPECT_EQ(info.backend, "cpu-ref");
    EXPECT_EQ(info.type, "cpu");
    EXPECT_FALSE(info.name.empty());
    EXPECT_GT(info.memory_bytes, 0u);
    ASSERT_FALSE(info.details.empty());
    EXPECT_EQ(info.details[0], (std::pair<std::string, std::string>{"threads", "3"}));
    EXPECT_EQ(make_cpu_ref_backend()->name(), "cpu-ref");
}

TEST(CpuBackend, BuffersAreZeroedAlignedAndBoundsChecked) {
    std::unique_ptr<Backend> backend = make_cpu_ref_backend(1);
    std::unique_ptr<Buffer> buffer = backend->allocate(20);
    EXPECT_EQ(buffer->size(), 20u);
    unsigned char bytes[20];
    std::memset(bytes, 0xff, sizeof bytes);
    backend->download(*buffer, 0, bytes, 20);
    for (unsigned char c : bytes) EXPECT_EQ(c, 0);
    const float values[2] = {1.5f, -2.0f};
    backend->upload(*buffer, 12, values, 8);
    float back[2] = {};
    backend->download(*buffer, 12, back, 8);
    EXPECT_EQ(back[0], 1.5f);
    EXPECT_EQ(back[1], -2.0f);
    EXPECT_THROW(backend->upload(*buffer, 16, values, 8), Error);
    EXPECT_THROW(backend->download(*buffer, 21, back, 0), Error);
    EXPECT_THROW(backend->download(*buffer, UINT64_MAX, back, 8), Error);
}

TEST(CpuBackend, UnsupportedDtypesAreReported) {
    std::unique_ptr<Backend> backend = make_cpu_ref_backend(1);
    Graph graph;
    const ValueId ids = graph.add_input("ids", Shape{2, 3}, DType::I32);
    const ValueId wide = graph.add_input("wide", Shape{2, 3}, DType::I64);
    graph.unary(ids, Activation::Relu);
    graph.permute(wide, {1, 0});
    graph.permute(ids, {1, 0});
    const auto reason_unary = backend->unsupported_reason(graph, graph.nodes()[0]);
    ASSERT_TRUE(reason_unary.has_value());
    EXPECT_NE(reason_unary->find("i32"), std::string::npos) << *reason_unary;
    EXPECT_TRUE(backend->unsupported_reason(graph, graph.nodes()[1]).has_value());
    EXPECT_FALSE(backend->unsupported_reason(graph, graph.nodes()[2]).has_value());
}

// The blocked GEMM paths on sizes past every block edge, against plain double loops.
std::vector<float> uniform_values(int64_t n, uint32_t seed) {
    std::vector<float> v(static_cast<size_t>(n));
    uint32_t state = seed;
    for (float& x : v) {
        state = state * 1664525u + 1013904223u;
        x = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f;
    }
    return v;
}

void expect_close(const std::vector<float>& got, const std::vector<double>& expected) {
    Tensor g = Tensor::from_f32(Shape{static_cast<int64_t>(got.size())}, got);
    std::vector<float> e(expected.begin(), expected.end());
    expect_close(g, Tensor::from_f32(Shape{static_cast<int64_t>(e.size())}, e));
}

TEST(CpuKernels, LinearMatchesNaiveOnLargeOddSizes) {
    const int64_t m = 133, n = 290, k = 530;
    const std::vector<float> x = uniform_values(m * k, 1), w = uniform_values(n * k, 2), bias = uniform_values(n, 3);
    std::vector<double> expected(static_cast<size_t>(m * n));
    for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
            double sum = bias[static_cast<size_t>(j)];
            for (int64_t kk = 0; kk < k; ++kk)
                sum += static_cast<double>(x[static_cast<size_t>(i * k + kk)]) * w[static_cast<size_t>(j * k + kk)];
            expected[static_cast<size_t>(i * n + j)] = sum;
        }
    }
    for (int threads : {1, 2, 5}) {
        cpu::ThreadPool pool(threads);
        std::vector<float> y(static_cast<size_t>(m * n), -7.0f);
        cpu::linear(pool, x.data(), w.data(), bias.data(), nullptr, y.data(), m, n, k, Activation::None);
        expect_close(y, expected);
    }
}

TEST(CpuKernels, Conv2dMatchesNaiveOnLargeOddSizes) {
    cpu::Conv2dShape s;
    s.batch = 2;
    s.in_channels = 19;
    s.in_h = 17;
    s.in_w = 15;
    s.out_channels = 37;
    s.kernel_h = 3;
    s.kernel_w = 5;
    s.stride_h = 2;
    s.stride_w = 1;
    s.pad_h = 1;
    s.pad_w = 2;
    const int64_t oh = s.out_h(), ow = s.out_w();
    const std::vector<float> x = uniform_values(s.batch * s.in_channels * s.in_h * s.in_w, 4);
    const std::vector<float> w = uniform_values(s.out_channels * s.in_channels * s.kernel_h * s.kernel_w, 5);
    auto x_at = [&](int64_t b, int64_t c, int64_t h, int64_t w_) {
        return static_cast<double>(x[static_cast<size_t>(((b * s.in_channels + c) * s.in_h + h) * s.in_w + w_)]);
    };
    auto w_at = [&](int64_t o, int64_t c, int64_t i, int64_t j) {
        return static_cast<double>(w[static_cast<size_t>(((o * s.in_channels + c) * s.kernel_h + i) * s.kernel_w + j)]);
    };
    std::vector<double> expected;
    for (int64_t b = 0; b < s.batch; ++b) {
        for (int64_t o = 0; o < s.out_channels; ++o) {
            for (int64_t y = 0; y < oh; ++y) {
                for (int64_t xo = 0; xo < ow; ++xo) {
                    double sum = 0.0;
                    for (int64_t c = 0; c < s.in_channels; ++c) {
                        for (int64_t i = 0; i < s.kernel_h; ++i) {
                            for (int64_t j = 0; j < s.kernel_w; ++j) {
                                const int64_t ih = y * s.stride_h - s.pad_h + i;
                                const int64_t iw = xo * s.stride_w - s.pad_w + j;
                                if (ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w)
                                    sum += x_at(b, c, ih, iw) * w_at(o, c, i, j);
                            }
                        }
                    }
                    expected.push_back(std::max(sum, 0.0));  // relu
                }
            }
        }
    }
    cpu::ThreadPool pool(2);
    std::vector<float> y(expected.size(), -7.0f);
    cpu::conv2d(pool, x.data(), w.data(), nullptr, nullptr, y.data(), s, Activation::Relu);
    expect_close(y, expected);
}

TEST(CpuKernels, ThreadPoolRunsEveryTaskOnceAndPropagatesErrors) {
    cpu::ThreadPool pool(4);
    std::vector<int> hits(1000, 0);
    pool.parallel_for(1000, 7, [&](int64_t begin, int64_t end, int thread) {
        EXPECT_GE(thread, 0);
        EXPECT_LT(thread, 4);
        for (int64_t i = begin; i < end; ++i) ++hits[static_cast<size_t>(i)];
    });
    for (int h : hits) EXPECT_EQ(h, 1);
    EXPECT_THROW(pool.run_tasks(10,
                                [](int64_t task, int) {
                                    if (task == 6) fail("task ", task);
                                }),
                 Error);
    int after = 0;
    pool.run_tasks(3, [&](int64_t, int) {});
    pool.run_tasks(1, [&](int64_t, int) { ++after; });
    EXPECT_EQ(after, 1);
}

}  // namespace
}  // namespace cliprt
