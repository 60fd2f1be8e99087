// The CUDA backend against the CPU oracle, op by op and on the open_clip golden models, reached
// through the loader exactly as cliprt reaches it (this binary does not link CUDA). Without a
// CUDA device every test that needs one is skipped with "no CUDA device: <reason>"; the loader
// tests (CudaModule.*) run everywhere.
//
// Tolerances: NMSE <= 1e-6 in f32 and <= 5e-4 in f16 storage for every op; NaN or Inf fails.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <random>

#include "cliprt/backends.h"
#include "cliprt/cpu_backend.h"
#include "cliprt/cuda_module.h"
#include "cliprt/error.h"
#include "cliprt/executor.h"
#include "cliprt/parity.h"

namespace cliprt {
namespace {

// Why the CUDA tests cannot run on this machine; empty when they can.
const std::string& cuda_unavailable_reason() {
    static const std::string reason = cuda_module_status().unavailable_reason();
    return reason;
}

std::unique_ptr<Backend> make_cuda(DType dtype) {
    BackendOptions options;
    options.dtype = dtype;
    return create_backend("cuda", options);
}

Tensor random_tensor(const Shape& shape, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> values(static_cast<size_t>(shape.numel()));
    for (float& v : values) v = dist(rng);
    return Tensor::from_f32(shape, std::move(values));
}

Tensor random_ids(const Shape& shape, uint32_t seed, int32_t vocab) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int32_t> dist(0, vocab - 1);
    std::vector<int32_t> values(static_cast<size_t>(shape.numel()));
    for (int32_t& v : values) v = dist(rng);
    return Tensor::from_i32(shape, std::move(values));
}

// A constant with values in [-scale, scale], seeded by its name so every case is reproducible.
ValueId weight(Graph& g, const std::string& name, const Shape& shape, float scale = 1.0f) {
    return g.add_constant(name, random_tensor(shape, static_cast<uint32_t>(std::hash<std::string>{}(name)), scale));
}

float fan_in_scale(int64_t fan_in) { return 1.0f / std::sqrt(static_cast<float>(fan_in)); }

std::vector<Tensor> run_graph(Backend& backend, const std::shared_ptr<Graph>& graph,
                              const std::vector<Tensor>& inputs) {
    WeightCache weights(backend);
    CompiledGraph compiled(graph, backend, weights);
    return compiled.run(inputs);
}

// Random inputs for a graph: floats in [-1, 1], ids in [0, vocab).
std::vector<Tensor> random_inputs(const Graph& g, int32_t vocab, uint32_t seed) {
    std::vector<Tensor> inputs;
    for (ValueId id : g.inputs()) {
        const Value& v = g.value(id);
        inputs.push_back(v.dtype == DType::I32 ? random_ids(v.shape, seed++, vocab) : random_tensor(v.shape, seed++));
    }
    return inputs;
}

double max_nmse(DType dtype) { return dtype == DType::F16 ? 5e-4 : 1e-6; }

void expect_matches(const std::vector<Tensor>& actual, const std::vector<Tensor>& expected, DType dtype) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
        const Comparison c = compare_tensors(actual[i], expected[i]);
        EXPECT_TRUE(c.finite) << "output " << i << " has NaN or Inf";
        EXPECT_LE(c.nmse, max_nmse(dtype)) << "output " << i << ": max abs error " << c.max_abs;
    }
}

// ---- op-level parity ----

struct OpCase {
    std::string name;
    std::function<std::shared_ptr<Graph>()> build;
    int32_t vocab = 1;  // ids of i32 inputs are drawn from [0, vocab)
};

std::shared_ptr<Graph> linear_graph(Shape x_shape, int64_t out, bool bias, Activation act, bool residual) {
    auto g = std::make_shared<Graph>();
    const int64_t in = x_shape[-1];
    ValueId x = g->add_input("x", x_shape, DType::F32);
    ValueId w = weight(*g, "w", Shape{out, in}, fan_in_scale(in));
    ValueId b = bias ? weight(*g, "b", Shape{out}) : -1;
    Shape out_shape = x_shape;
    out_shape[-1] = out;
    ValueId r = residual ? g->add_input("residual", out_shape, DType::F32) : -1;
    g->mark_output(g->linear(x, w, b, act, r));
    return g;
}

std::shared_ptr<Graph> conv_graph(Shape x_shape, Shape w_shape, Conv2dParams p, bool bias, bool residual) {
    auto g = std::make_shared<Graph>();
    ValueId x = g->add_input("x", x_shape, DType::F32);
    ValueId w = weight(*g, "w", w_shape, fan_in_scale(w_shape[1] * w_shape[2] * w_shape[3]));
    ValueId b = bias ? weight(*g, "b", Shape{w_shape[0]}) : -1;
    ValueId r = -1;
    if (residual) {
        const int64_t oh = (x_shape[2] + 2 * p.pad_h - w_shape[2]) / p.stride_h + 1;
        const int64_t ow = (x_shape[3] + 2 * p.pad_w - w_shape[3]) / p.stride_w + 1;
        r = g->add_input("residual", Shape{x_shape[0], w_shape[0], oh, ow}, DType::F32);
    }
    g->mark_output(g->conv2d(x, w, b, p, r));
    return g;
}

Conv2dParams conv_params(int stride, int pad, Activation act) {
    Conv2dParams p;
    p.stride_h = p.stride_w = stride;
    p.pad_h = p.pad_w = pad;
    p.act = act;
    return p;
}

// Packed [B, L, 3W] or separate q [Bq, Lq, W] and k, v [B, Lk, W]; cosine adds logit multipliers
// (moderate ones, so f16 input rounding stays within tolerance), head_scale per-head output scales.
std::shared_ptr<Graph> attention_graph(bool packed, int64_t batch, int64_t q_batch, int64_t q_len, int64_t kv_len,
                                       int64_t width, int heads, bool causal, bool cosine, bool head_scale) {
    auto g = std::make_shared<Graph>();
    AttentionParams p;
    p.heads = heads;
    p.packed_qkv = packed;
    p.causal = causal;
    p.cosine = cosine;
    p.has_head_scale = head_scale;
    p.scale = 1.0f / std::sqrt(static_cast<float>(width / heads));
    std::vector<ValueId> inputs;
    if (packed) {
        inputs.push_back(g->add_input("qkv", Shape{batch, q_len, 3 * width}, DType::F32));
    } else {
        inputs.push_back(g->add_input("q", Shape{q_batch, q_len, width}, DType::F32));
        inputs.push_back(g->add_input("k", Shape{batch, kv_len, width}, DType::F32));
        inputs.push_back(g->add_input("v", Shape{batch, kv_len, width}, DType::F32));
    }
    if (cosine) {
        std::vector<float> mult;
        for (int h = 0; h < heads; ++h) mult.push_back(2.0f + 3.0f * static_cast<float>(h));
        inputs.push_back(g->add_constant("logit_mult", Tensor::from_f32(Shape{heads}, mult)));
    }
    if (head_scale) inputs.push_back(weight(*g, "head_scale", Shape{heads}));
    g->mark_output(g->attention(inputs, p));
    return g;
}

std::shared_ptr<Graph> single_input_graph(Shape shape, const std::function<ValueId(Graph&, ValueId)>& op) {
    auto g = std::make_shared<Graph>();
    g->mark_output(op(*g, g->add_input("x", std::move(shape), DType::F32)));
    return g;
}

std::shared_ptr<Graph> token_pool_graph(PoolMode mode) {
    auto g = std::make_shared<Graph>();
    ValueId x = g->add_input("x", Shape{3, 7, 40}, DType::F32);
    ValueId ids = g->add_input("ids", Shape{3, 7}, DType::I32);
    TokenPoolParams p;
    p.mode = mode;
    p.eos_id = 5;  // ids are drawn from [0, 8): some rows have it, some may not
    p.mean_start = 1;
    g->mark_output(g->token_pool(x, ids, p));
    return g;
}

// logits = text @ image^T: a Linear whose "weight" is a graph input, not a constant.
std::shared_ptr<Graph> logits_graph() {
    auto g = std::make_shared<Graph>();
    ValueId text = g->add_input("text", Shape{3, 32}, DType::F32);
    ValueId image = g->add_input("image", Shape{5, 32}, DType::F32);
    g->mark_output(g->linear(text, image));
    return g;
}

std::shared_ptr<Graph> layer_norm_graph(Shape shape, float eps) {
    const int64_t width = shape[-1];
    return single_input_graph(std::move(shape), [width, eps](Graph& g, ValueId x) {
        return g.layer_norm(x, weight(g, "gamma", Shape{width}), weight(g, "beta", Shape{width}), eps);
    });
}

// a is an input; b is a constant when it broadcasts, an input when it has a's shape.
std::shared_ptr<Graph> binary_graph(BinaryOp op, Shape a_shape, Shape b_shape) {
    auto g = std::make_shared<Graph>();
    ValueId a = g->add_input("a", a_shape, DType::F32);
    ValueId b = a_shape == b_shape ? g->add_input("b", b_shape, DType::F32) : weight(*g, "b", b_shape);
    g->mark_output(g->binary(op, a, b));
    return g;
}

std::shared_ptr<Graph> embedding_graph() {
    auto g = std::make_shared<Graph>();
    ValueId ids = g->add_input("ids", Shape{2, 7}, DType::I32);
    g->mark_output(g->embedding(ids, weight(*g, "table", Shape{50, 24})));
    return g;
}

// The first part is a constant (like a class token) when it broadcasts, an input otherwise.
std::shared_ptr<Graph> concat_graph(Shape first, Shape second, int axis) {
    auto g = std::make_shared<Graph>();
    const bool broadcast = first.numel() < second.numel() && first[0] == 1;
    ValueId a = broadcast ? weight(*g, "cls", first) : g->add_input("a", first, DType::F32);
    ValueId b = g->add_input("b", second, DType::F32);
    g->mark_output(g->concat({a, b}, axis));
    return g;
}

OpCase unary_case(Activation act) {
    auto build = [act] {
        return single_input_graph(Shape{4, 33}, [act](Graph& g, ValueId x) { return g.unary(x, act, 1.5f, -0.25f); });
    };
    return {std::string("unary_") + activation_name(act), build};
}

std::vector<OpCase> op_cases() {
    using A = Activation;
    // clang-format off
    return {
        {"linear_bias", [] { return linear_graph(Shape{2, 7, 64}, 96, true, A::None, false); }},
        {"linear_gelu_erf", [] { return linear_graph(Shape{2, 7, 64}, 96, true, A::Gelu, false); }},
        {"linear_gelu_tanh_epilogue", [] { return linear_graph(Shape{2, 7, 64}, 96, true, A::GeluTanh, false); }},
        {"linear_gelu_tanh_nobias_epilogue", [] { return linear_graph(Shape{5, 64}, 32, false, A::GeluTanh, false); }},
        {"linear_gelu_tanh_residual", [] { return linear_graph(Shape{2, 7, 64}, 96, true, A::GeluTanh, true); }},
        {"linear_quick_gelu_residual", [] { return linear_graph(Shape{2, 7, 64}, 96, true, A::QuickGelu, true); }},
        {"linear_relu_residual_nobias", [] { return linear_graph(Shape{9, 48}, 40, false, A::Relu, true); }},
        {"linear_sigmoid", [] { return linear_graph(Shape{4, 32}, 8, true, A::Sigmoid, false); }},
        {"linear_odd_sizes", [] { return linear_graph(Shape{3, 33}, 17, true, A::None, true); }},
        {"linear_wide", [] { return linear_graph(Shape{50, 768}, 512, true, A::None, false); }},
        {"linear_weight_is_activation", [] { return logits_graph(); }},
        {"conv_stem_relu", [] { return conv_graph(Shape{2, 3, 23, 19}, Shape{8, 3, 3, 3}, conv_params(2, 1, A::Relu), true, false); }},
        {"conv_1x1_residual_relu", [] { return conv_graph(Shape{2, 16, 7, 7}, Shape{24, 16, 1, 1}, conv_params(1, 0, A::Relu), true, true); }},
        {"conv_multi_tile", [] { return conv_graph(Shape{1, 64, 9, 9}, Shape{70, 64, 3, 3}, conv_params(1, 1, A::None), true, false); }},
        {"conv_patchify", [] { return conv_graph(Shape{2, 3, 32, 32}, Shape{48, 3, 16, 16}, conv_params(16, 0, A::None), false, false); }},
        //                                                  packed batch q_batch q_len kv_len width heads causal cosine head_scale
        {"attention_packed", [] { return attention_graph(true, 2, 2, 9, 9, 64, 4, false, false, false); }},
        {"attention_packed_causal_multi_tile", [] { return attention_graph(true, 2, 2, 77, 77, 128, 2, true, false, false); }},
        {"attention_q_broadcast", [] { return attention_graph(false, 3, 1, 1, 50, 128, 2, false, false, false); }},
        {"attention_separate_batched_q", [] { return attention_graph(false, 2, 2, 5, 40, 64, 2, false, false, false); }},
        {"attention_cosine_head_scale", [] { return attention_graph(false, 2, 2, 10, 40, 96, 3, false, true, true); }},
        {"attention_cosine_causal", [] { return attention_graph(true, 1, 1, 33, 33, 64, 2, true, true, false); }},
        {"attention_head_dim_80", [] { return attention_graph(true, 1, 1, 20, 20, 160, 2, false, false, false); }},
        {"attention_head_dim_128", [] { return attention_graph(true, 1, 1, 40, 40, 256, 2, false, false, true); }},
        {"avg_pool2d", [] { return single_input_graph(Shape{2, 5, 9, 6}, [](Graph& g, ValueId x) { return g.avg_pool2d(x, {2, 2, 2, 2}); }); }},
        {"layer_norm", [] { return layer_norm_graph(Shape{3, 5, 96}, 1e-5f); }},
        {"layer_norm_wide", [] { return layer_norm_graph(Shape{2, 1280}, 1e-6f); }},
        {"l2_normalize", [] { return single_input_graph(Shape{4, 300}, [](Graph& g, ValueId x) { return g.l2_normalize(x); }); }},
        {"softmax", [] { return single_input_graph(Shape{4, 300}, [](Graph& g, ValueId x) { return g.softmax(x); }); }},
        {"binary_add_row_broadcast", [] { return binary_graph(BinaryOp::Add, Shape{2, 3, 4, 5}, Shape{5}); }},
        {"binary_mul_column_broadcast", [] { return binary_graph(BinaryOp::Mul, Shape{2, 3, 4, 5}, Shape{4, 1}); }},
        {"binary_add_same_shape", [] { return binary_graph(BinaryOp::Add, Shape{6, 70}, Shape{6, 70}); }},
        {"embedding", [] { return embedding_graph(); }, 50},
        {"concat_class_token_broadcast", [] { return concat_graph(Shape{1, 1, 16}, Shape{3, 9, 16}, 1); }},
        {"concat_last_axis", [] { return concat_graph(Shape{2, 3, 4}, Shape{2, 3, 5}, -1); }},
        {"reshape_permute", [] { return single_input_graph(Shape{2, 12, 5}, [](Graph& g, ValueId x) { return g.permute(g.reshape(x, Shape{2, 3, 4, 5}), {0, 2, 1, 3}); }); }},
        {"token_pool_first", [] { return token_pool_graph(PoolMode::First); }, 8},
        {"token_pool_last", [] { return token_pool_graph(PoolMode::Last); }, 8},
        {"token_pool_argmax", [] { return token_pool_graph(PoolMode::Argmax); }, 8},
        {"token_pool_eos", [] { return token_pool_graph(PoolMode::Eos); }, 8},
        {"token_pool_mean", [] { return token_pool_graph(PoolMode::Mean); }, 8},
        unary_case(A::None), unary_case(A::Relu), unary_case(A::Gelu), unary_case(A::GeluTanh),
        unary_case(A::QuickGelu), unary_case(A::Sigmoid),
    };
    // clang-format on
}

struct OpParam {
    OpCase op;
    DType dtype;
};

std::vector<OpParam> op_params() {
    std::vector<OpParam> params;
    for (const OpCase& c : op_cases()) {
        for (DType dtype : {DType::F32, DType::F16}) params.push_back({c, dtype});
    }
    return params;
}

class CudaOpParity : public ::testing::TestWithParam<OpParam> {
protected:
    void SetUp() override {
        if (!cuda_unavailable_reason().empty()) GTEST_SKIP() << "no CUDA device: " << cuda_unavailable_reason();
    }
};

TEST_P(CudaOpParity, MatchesCpu) {
    const OpParam& p = GetParam();
    const auto graph = p.op.build();
    const std::vector<Tensor> inputs = random_inputs(*graph, p.op.vocab, 1234);
    auto cpu = make_cpu_backend();
    auto cuda = make_cuda(p.dtype);
    expect_matches(run_graph(*cuda, graph, inputs), run_graph(*cpu, graph, inputs), p.dtype);
}

INSTANTIATE_TEST_SUITE_P(CudaOps, CudaOpParity, ::testing::ValuesIn(op_params()),
                         [](const ::testing::TestParamInfo<OpParam>& info) {
                             return info.param.op.name + "_" + dtype_name(info.param.dtype);
                         });

// ---- backend behaviour ----

class CudaBackendTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!cuda_unavailable_reason().empty()) GTEST_SKIP() << "no CUDA device: " << cuda_unavailable_reason();
    }
};

TEST_F(CudaBackendTest, ReportsTheDevice) {
    auto cuda = make_cuda(DType::F32);
    const DeviceInfo info = cuda->device_info();
    EXPECT_EQ(info.backend, "cuda");
    EXPECT_FALSE(info.name.empty());
    EXPECT_GT(info.memory_bytes, 0u);
    EXPECT_EQ(cuda->float_storage_dtype(), DType::F32);
    EXPECT_EQ(make_cuda(DType::F16)->float_storage_dtype(), DType::F16);
    EXPECT_THROW(make_cuda(DType::BF16), Error);
}

TEST_F(CudaBackendTest, ReplaysTheCapturedForwardWithNewInputs) {
    auto graph = linear_graph(Shape{4, 64}, 32, true, Activation::Gelu, true);
    auto cpu = make_cpu_backend();
    auto cuda = make_cuda(DType::F32);
    WeightCache weights(*cuda);
    CompiledGraph compiled(graph, *cuda, weights);
    EXPECT_EQ(compiled.program().submit_count(), 1);
    EXPECT_EQ(compiled.program().dispatch_count(), 2);  // matmul + erf GELU
    for (uint32_t seed : {1u, 2u, 3u}) {
        const std::vector<Tensor> inputs = random_inputs(*graph, 1, seed);
        expect_matches(compiled.run(inputs), run_graph(*cpu, graph, inputs), DType::F32);
    }
}

TEST_F(CudaBackendTest, OutOfRangeIdsAreAnErrorNotAnOutOfBoundsRead) {
    auto g = std::make_shared<Graph>();
    ValueId ids = g->add_input("ids", Shape{1, 4}, DType::I32);
    g->mark_output(g->embedding(ids, weight(*g, "table", Shape{10, 8}), "token_embedding"));
    auto cuda = make_cuda(DType::F32);
    WeightCache weights(*cuda);
    CompiledGraph compiled(g, *cuda, weights);
    try {
        compiled.run({Tensor::from_i32(Shape{1, 4}, {1, 2, 10, -1})});
        FAIL() << "expected an error for ids outside the vocabulary";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("token_embedding"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("position 2"), std::string::npos) << e.what();
    }
    // The next run with valid ids is clean: the report slot is reset inside the graph.
    EXPECT_NO_THROW(compiled.run({Tensor::from_i32(Shape{1, 4}, {1, 2, 3, 9})}));
}

TEST_F(CudaBackendTest, RefusesHeadDimensionsBeyondTheKernel) {
    auto graph = attention_graph(true, 1, 1, 4, 4, 512, 2, false, false, false);  // head dim 256
    auto cuda = make_cuda(DType::F32);
    WeightCache weights(*cuda);
    try {
        CompiledGraph compiled(graph, *cuda, weights);
        FAIL() << "expected the attention node to be refused";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("head dimension 256"), std::string::npos) << e.what();
    }
}

// ---- model-level parity with open_clip ----

struct GoldenParam {
    std::string dir;
    DType dtype;
};

std::vector<GoldenParam> golden_params() {
    std::vector<std::string> cases;
    try {
        cases = find_golden_cases(std::string(CLIPRT_SOURCE_DIR) + "/tests/goldens");
    } catch (const Error&) {
        // No goldens in this checkout: GoldenCases.AllExpectedCasesArePresent reports that.
    }
    std::vector<GoldenParam> params;
    for (const std::string& dir : cases) {
        for (DType dtype : {DType::F32, DType::F16}) params.push_back({dir, dtype});
    }
    return params;
}

class CudaGoldenParity : public ::testing::TestWithParam<GoldenParam> {
protected:
    void SetUp() override {
        if (!cuda_unavailable_reason().empty()) GTEST_SKIP() << "no CUDA device: " << cuda_unavailable_reason();
    }
};

TEST_P(CudaGoldenParity, MatchesOpenClip) {
    const GoldenParam& p = GetParam();
    auto cuda = make_cuda(p.dtype);
    // The tolerances of `cliprt parity`: f32 as the CPU oracle, f16 storage looser.
    const ParityTolerance tolerance = p.dtype == DType::F16 ? ParityTolerance{0.999, 1e-3} : ParityTolerance{};
    const ParityResult r = run_golden_case(p.dir, *cuda, tolerance);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_GE(r.cosine_min, tolerance.cosine_min) << r.name;
    EXPECT_LE(r.nmse, tolerance.nmse) << r.name;
    EXPECT_TRUE(r.pass);
    RecordProperty("cosine_min", std::to_string(r.cosine_min));
    RecordProperty("nmse", std::to_string(r.nmse));
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CudaGoldenParity);
INSTANTIATE_TEST_SUITE_P(CudaGoldens, CudaGoldenParity, ::testing::ValuesIn(golden_params()),
                         [](const ::testing::TestParamInfo<GoldenParam>& info) {
                             std::string name = info.param.dir.substr(info.param.dir.find_last_of('/') + 1);
                             for (char& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return name + "_" + dtype_name(info.param.dtype);
                         });

// ---- the loader: runs on every machine ----

TEST(CudaModule, StatusSaysWhyTheBackendIsUnavailable) {
    const CudaModuleStatus s = cuda_module_status();
    EXPECT_FALSE(s.searched.empty());
    BackendStatus status;
    for (const BackendStatus& b : backend_statuses()) {
        if (b.name == "cuda") status = b;
    }
    ASSERT_EQ(status.name, "cuda");
    EXPECT_EQ(status.available, s.device_available());
    if (s.device_available()) {
        EXPECT_FALSE(status.devices.empty());
        return;
    }
    const std::string reason = s.unavailable_reason();
    EXPECT_FALSE(reason.empty());
    EXPECT_NE(status.reason.find(reason), std::string::npos) << status.reason;
    try {
        make_cuda(DType::F32);
        FAIL() << "create_backend(\"cuda\") must fail without a device";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
    if (s.loaded) {
        // The module itself loaded: the reason is the CUDA runtime's own error string.
        EXPECT_TRUE(s.query.devices.empty());
        EXPECT_EQ(reason, s.query.error);
        EXPECT_FALSE(s.query.runtime_version.empty());
    }
}

TEST(CudaModule, MissingModuleIsReportedWithTheSearchedPaths) {
    const CudaModuleStatus s = probe_cuda_module({"/nonexistent/dir/libcliprt_cuda.so"});
    EXPECT_TRUE(s.path.empty());
    EXPECT_FALSE(s.loaded);
    EXPECT_NE(s.unavailable_reason().find("not found"), std::string::npos) << s.unavailable_reason();
    EXPECT_NE(s.unavailable_reason().find("/nonexistent/dir/libcliprt_cuda.so"), std::string::npos);
}

TEST(CudaModule, AFileThatIsNotAModuleIsRefused) {
    const std::string not_a_library = std::string(CLIPRT_SOURCE_DIR) + "/tests/cuda_backend_test.cpp";
    const CudaModuleStatus s = probe_cuda_module({not_a_library});
    EXPECT_EQ(s.path, not_a_library);
    EXPECT_FALSE(s.loaded);
    EXPECT_FALSE(s.load_error.empty());
    EXPECT_NE(s.unavailable_reason().find("failed to load"), std::string::npos) << s.unavailable_reason();
}

TEST(CudaModule, EnvironmentVariableComesFirst) {
    ::setenv(kCudaModuleEnvVar, "/explicit/choice/libcliprt_cuda.so", 1);
    const std::vector<std::string> candidates = cuda_module_candidates();
    ::unsetenv(kCudaModuleEnvVar);
    ASSERT_FALSE(candidates.empty());
    EXPECT_EQ(candidates.front(), "/explicit/choice/libcliprt_cuda.so");
}

}  // namespace
}  // namespace cliprt
