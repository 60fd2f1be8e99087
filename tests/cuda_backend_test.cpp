// The CUDA backend against the CPU oracle, reached through the loader exactly as cliprt reaches it
// (this binary does not link CUDA):
//   - op level: the shared cases of op_parity_cases.h (the Vulkan suite's shapes and NMSE limits,
//     sentinel guards around every output) plus the paths only CUDA has (cuBLASLt epilogues, the
//     attention kernel's per-lane accumulators), in f32 and f16 storage;
//   - model level: every open_clip golden case, f32 (cosine >= 0.99999, NMSE <= 1e-6) and f16
//     storage (cosine >= 0.999, NMSE <= 2e-3, as the Vulkan golden suite);
//   - the loader itself (CudaModule.*), which runs on every machine.
// Without a CUDA device every test that needs one is skipped with "no CUDA device: <reason>".
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "cliprt/backends.h"
#include "cliprt/cuda_module.h"
#include "cliprt/error.h"
#include "models/parity.h"
#include "op_parity_cases.h"

namespace cliprt {
namespace {

using op_parity::Data;
using op_parity::Family;
using op_parity::OpCase;

// Why the CUDA tests cannot run on this machine; empty when they can.
const std::string& cuda_unavailable_reason() {
    static const std::string reason = cuda_module_status().unavailable_reason();
    return reason;
}

class NeedsCuda {
protected:
    static void skip_without_cuda() {
        if (!cuda_unavailable_reason().empty()) GTEST_SKIP() << "no CUDA device: " << cuda_unavailable_reason();
    }
};

std::unique_ptr<Backend> make_cuda(DType dtype) {
    BackendOptions options;
    options.dtype = dtype;
    return create_backend("cuda", options);
}

// One backend per storage dtype for the op cases (a CUDA context is slow to create), destroyed
// before exit while the CUDA libraries are still loaded.
std::map<DType, std::unique_ptr<Backend>>& shared_backends() {
    static std::map<DType, std::unique_ptr<Backend>> backends;
    return backends;
}

class SharedBackendsEnvironment : public ::testing::Environment {
public:
    void TearDown() override { shared_backends().clear(); }
};
::testing::Environment* const shared_backends_environment =
    ::testing::AddGlobalTestEnvironment(new SharedBackendsEnvironment);

Backend& shared_cuda(DType dtype) {
    std::unique_ptr<Backend>& backend = shared_backends()[dtype];
    if (!backend) backend = make_cuda(dtype);
    return *backend;
}

// ---- op-level parity ----

// A gtest parameter name: anything but letters and digits becomes '_'.
std::string test_name(std::string name) {
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
}

// Paths of the CUDA backend that the shared cases do not reach.
std::vector<OpCase> cuda_only_cases() {
    const auto linear = [](const std::string& name, bool bias, Activation act, bool residual) {
        return OpCase{name, Family::Matmul, [=](Graph& g, Data& d) {
                          const ValueId x = d.input(g, "x", Shape{2, 7, 64});
                          const ValueId b = bias ? d.constant(g, "b", Shape{96}) : -1;
                          const ValueId r = residual ? d.input(g, "r", Shape{2, 7, 96}) : -1;
                          g.mark_output(g.linear(x, d.constant(g, "w", Shape{96, 64}, 0.25f), b, act, r));
                      }};
    };
    const auto attention = [](const std::string& name, int64_t len, int64_t dim, bool causal, bool head_scale) {
        return OpCase{name, Family::Matmul, [=](Graph& g, Data& d) {
                          AttentionParams p;
                          p.heads = 2;
                          p.packed_qkv = true;
                          p.causal = causal;
                          p.has_head_scale = head_scale;
                          p.scale = 1.0f / std::sqrt(static_cast<float>(dim));
                          std::vector<ValueId> inputs{d.input(g, "qkv", Shape{2, len, 3 * 2 * dim})};
                          if (head_scale) inputs.push_back(d.constant(g, "head_scale", Shape{2}));
                          g.mark_output(g.attention(inputs, p));
                      }};
    };
    return {
        // cuBLASLt's GELU epilogue (tanh approximation), with and without the bias epilogue.
        linear("cuda_linear_gelu_tanh_bias_epilogue", true, Activation::GeluTanh, false),
        linear("cuda_linear_gelu_tanh_epilogue", false, Activation::GeluTanh, false),
        // With a residual the activation runs as a kernel after the matmul instead.
        linear("cuda_linear_gelu_tanh_residual", true, Activation::GeluTanh, true),
        linear("cuda_linear_sigmoid_residual", true, Activation::Sigmoid, true),
        // 3 and 4 accumulators per lane (head dims 80 and 128, the kernel's maximum).
        attention("cuda_attention_head_dim_80", 20, 80, false, false),
        attention("cuda_attention_causal_head_dim_128", 40, 128, true, true),
        {"cuda_conv2d_patchify_16x16", Family::Matmul,
         [](Graph& g, Data& d) {
             Conv2dParams p;
             p.stride_h = p.stride_w = 16;
             const ValueId x = d.input(g, "x", Shape{2, 3, 32, 48});
             g.mark_output(g.conv2d(x, d.constant(g, "w", Shape{70, 3, 16, 16}, 0.05f), -1, p));
         }},
    };
}

const std::vector<OpCase>& cases() {
    static const std::vector<OpCase> all = [] {
        std::vector<OpCase> out = op_parity::cases();
        for (OpCase& c : cuda_only_cases()) out.push_back(std::move(c));
        return out;
    }();
    return all;
}

class CudaOpParity : public ::testing::TestWithParam<std::tuple<DType, size_t>>, protected NeedsCuda {
protected:
    void SetUp() override { skip_without_cuda(); }
};

TEST_P(CudaOpParity, MatchesCpu) {
    const auto [dtype, index] = GetParam();
    const OpCase& c = cases()[index];
    Data data(dtype, static_cast<uint32_t>(1234 + index));
    auto graph = std::make_shared<Graph>();
    c.build(*graph, data);
    const std::vector<Tensor> want = op_parity::run_cpu(graph, data.inputs);
    const std::vector<Tensor> got = op_parity::run_guarded(shared_cuda(dtype), *graph, data.inputs);
    const double limit = op_parity::nmse_limit(c.family, dtype);
    for (size_t i = 0; i < got.size(); ++i) {
        const Comparison cmp = compare_tensors(got[i], want[i]);
        EXPECT_TRUE(cmp.finite) << c.name << " output " << i << " has NaN or Inf";
        EXPECT_LE(cmp.nmse, limit) << c.name << " output " << i;
        std::printf("[cuda-nmse] %s %s %.3e\n", dtype_name(dtype), c.name.c_str(), cmp.nmse);
    }
}

std::vector<size_t> case_indices() {
    std::vector<size_t> out(cases().size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = i;
    return out;
}

std::string op_test_name(const ::testing::TestParamInfo<std::tuple<DType, size_t>>& info) {
    const auto& [dtype, index] = info.param;
    return test_name(std::string(dtype_name(dtype)) + "_" + cases()[index].name);
}

INSTANTIATE_TEST_SUITE_P(CudaOps, CudaOpParity,
                         ::testing::Combine(::testing::Values(DType::F32, DType::F16),
                                            ::testing::ValuesIn(case_indices())),
                         op_test_name);

// ---- backend behaviour ----

class CudaBackendTest : public ::testing::Test, protected NeedsCuda {
protected:
    void SetUp() override { skip_without_cuda(); }
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
    Data data(DType::F32, 5);
    auto graph = std::make_shared<Graph>();
    const ValueId x = data.input(*graph, "x", Shape{4, 64});
    const ValueId r = data.input(*graph, "r", Shape{4, 32});
    graph->mark_output(graph->linear(x, data.constant(*graph, "w", Shape{32, 64}, 0.25f),
                                     data.constant(*graph, "b", Shape{32}), Activation::Gelu, r));
    Backend& cuda = shared_cuda(DType::F32);
    WeightCache weights(cuda);
    CompiledGraph compiled(graph, cuda, weights);
    EXPECT_EQ(compiled.program().submit_count(), 1);
    EXPECT_EQ(compiled.program().dispatch_count(), 2);  // the matmul, then erf GELU as a kernel
    for (uint32_t seed : {1u, 2u, 3u}) {
        Data fresh(DType::F32, seed);
        const std::vector<Tensor> inputs{fresh.uniform(Shape{4, 64}), fresh.uniform(Shape{4, 32})};
        const Comparison cmp = compare_tensors(compiled.run(inputs)[0], op_parity::run_cpu(graph, inputs)[0]);
        EXPECT_LE(cmp.nmse, 1e-6) << "run with seed " << seed;
    }
}

TEST_F(CudaBackendTest, OutOfRangeIdsAreAnErrorNotAnOutOfBoundsRead) {
    Data data(DType::F32, 7);
    auto g = std::make_shared<Graph>();
    const ValueId ids = data.ids(*g, "ids", {1, 2, 13, 4, -1, 5}, Shape{2, 3});
    g->mark_output(g->embedding(ids, data.constant(*g, "table", Shape{13, 4}), "token_embedding"));
    Backend& cuda = shared_cuda(DType::F32);
    WeightCache weights(cuda);
    CompiledGraph compiled(g, cuda, weights);
    try {
        compiled.run(data.inputs);
        ADD_FAILURE() << "an id outside the vocabulary was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("token_embedding"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("id 13 at position 2 is outside the vocabulary [0, 13)"),
                  std::string::npos)
            << e.what();
    }
    // The report slot is reset inside the captured graph: the next run with valid ids is clean.
    EXPECT_NO_THROW(compiled.run({Tensor::from_i32(Shape{2, 3}, {1, 2, 3, 4, 5, 12})}));
}

TEST_F(CudaBackendTest, RefusesHeadDimensionsBeyondTheKernel) {
    auto g = std::make_shared<Graph>();
    AttentionParams p;
    p.heads = 2;
    p.packed_qkv = true;
    g->mark_output(g->attention({g->add_input("qkv", Shape{1, 4, 3 * 512}, DType::F32)}, p));  // head dim 256
    Backend& cuda = shared_cuda(DType::F32);
    WeightCache weights(cuda);
    try {
        CompiledGraph compiled(g, cuda, weights);
        ADD_FAILURE() << "the attention node was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("head dimension 256"), std::string::npos) << e.what();
    }
}

// ---- model-level parity with open_clip ----

std::vector<std::string> golden_cases() {
    try {
        return find_golden_cases(std::string(CLIPRT_SOURCE_DIR) + "/tests/goldens");
    } catch (const Error&) {
        return {};  // no goldens in this checkout; GoldenCases.AllExpectedCasesArePresent reports that
    }
}

class CudaGoldenParity : public ::testing::TestWithParam<std::tuple<DType, std::string>>, protected NeedsCuda {
protected:
    void SetUp() override { skip_without_cuda(); }
};

TEST_P(CudaGoldenParity, MatchesOpenClip) {
    const auto& [dtype, case_dir] = GetParam();
    ParityTolerance tolerance;
    if (dtype == DType::F16) tolerance = ParityTolerance{0.999, 2e-3};
    const ParityResult r = run_golden_case(case_dir, shared_cuda(dtype), tolerance);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_GE(r.cosine_min, tolerance.cosine_min) << r.name;
    EXPECT_LE(r.nmse, tolerance.nmse) << r.name;
    EXPECT_TRUE(r.pass) << r.name;
    std::printf("[cuda-golden] %s %s cosine_min %.8f nmse %.3e max_abs %.3e %.1f s\n", r.name.c_str(),
                dtype_name(dtype), r.cosine_min, r.nmse, r.max_abs, r.seconds);
    RecordProperty("cosine_min", std::to_string(r.cosine_min));
    RecordProperty("nmse", std::to_string(r.nmse));
}

std::string golden_test_name(const ::testing::TestParamInfo<std::tuple<DType, std::string>>& info) {
    const auto& [dtype, dir] = info.param;
    return test_name(std::string(dtype_name(dtype)) + "_" + dir.substr(dir.find_last_of('/') + 1));
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CudaGoldenParity);
INSTANTIATE_TEST_SUITE_P(CudaGoldens, CudaGoldenParity,
                         ::testing::Combine(::testing::Values(DType::F32, DType::F16),
                                            ::testing::ValuesIn(golden_cases())),
                         golden_test_name);

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
        ADD_FAILURE() << "create_backend(\"cuda\") must fail without a device";
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
