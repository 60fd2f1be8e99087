// The CUDA backend's own contracts, reached through the loader exactly as cliprt reaches it (this
// binary does not link CUDA): device report, replay of the captured forward, id checks, refused
// head dimensions; and the loader itself (CudaModule.*), which runs on every machine. Op and
// golden parity with the CPU oracle and open_clip, including the paths only CUDA has, are the
// shared suites op_parity_test.cpp and golden_parity_test.cpp (parity_backends.h).
// Without a CUDA device every test that needs one is skipped with "no CUDA device: <reason>".
#include <gtest/gtest.h>

#include <cstdlib>

#include "cliprt/backends.h"
#include "cliprt/cuda_module.h"
#include "cliprt/error.h"
#include "op_parity_cases.h"
#include "parity_backends.h"

namespace cliprt {
namespace {

using op_parity::Data;
using parity_test::cuda_unavailable_reason;
using parity_test::make_cuda;
using parity_test::shared_cuda;

class NeedsCuda {
protected:
    static void skip_without_cuda() {
        if (!cuda_unavailable_reason().empty()) GTEST_SKIP() << "no CUDA device: " << cuda_unavailable_reason();
    }
};

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
