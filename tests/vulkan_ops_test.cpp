// Every op on the Vulkan backend against the CPU oracle (the shared cases and NMSE limits of
// op_parity_cases.h), in f32 and f16 storage and with every kernel style ("cpu": register blocks
// fed by texel-buffer loads, "registers": the same fed by storage-buffer loads, "gpu":
// shared-memory tiles; each runs on any device), across shapes that are not multiples of any tile.
// Every output is surrounded by guard regions that must be untouched afterwards. The validation
// layer is on; any message fails the test.
#include <gtest/gtest.h>

#include <cstdio>

#include "models/parity.h"
#include "op_parity_cases.h"
#include "vulkan_test_support.h"

namespace cliprt {
namespace {

using op_parity::cases;
using op_parity::Data;
using op_parity::OpCase;

struct Config {
    DType dtype;
    const char* kernels;
};

void PrintTo(const Config& c, std::ostream* out) { *out << dtype_name(c.dtype) << "/" << c.kernels; }

class VulkanOps : public ::testing::TestWithParam<std::tuple<Config, size_t>> {};

TEST_P(VulkanOps, MatchesCpu) {
    const auto [config, index] = GetParam();
    const OpCase& c = cases()[index];
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, config.dtype, config.kernels);
    Data data(config.dtype, static_cast<uint32_t>(1234 + index));
    auto graph = std::make_shared<Graph>();
    c.build(*graph, data);
    const std::vector<Tensor> want = op_parity::run_cpu(graph, data.inputs);
    const std::vector<Tensor> got = op_parity::run_guarded(*backend, *graph, data.inputs);
    const double limit = op_parity::nmse_limit(c.family, config.dtype);
    for (size_t i = 0; i < got.size(); ++i) {
        const Comparison cmp = compare_tensors(got[i], want[i]);
        EXPECT_TRUE(cmp.finite) << c.name << " output " << i << " has NaN or Inf";
        EXPECT_LE(cmp.nmse, limit) << c.name << " output " << i;
        std::printf("[vulkan-nmse] %s %s %s %.3e\n", dtype_name(config.dtype), config.kernels, c.name.c_str(), cmp.nmse);
    }
    vulkan_test::expect_no_validation_messages(*backend);
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<Config, size_t>>& info) {
    const auto& [config, index] = info.param;
    std::string name = std::string(dtype_name(config.dtype)) + "_" + config.kernels + "_" + cases()[index].name;
    for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    return name;
}

std::vector<size_t> case_indices() {
    std::vector<size_t> out(cases().size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = i;
    return out;
}

INSTANTIATE_TEST_SUITE_P(Vulkan, VulkanOps,
                         ::testing::Combine(::testing::Values(Config{DType::F32, "cpu"}, Config{DType::F32, "registers"},
                                                              Config{DType::F32, "gpu"}, Config{DType::F16, "cpu"},
                                                              Config{DType::F16, "gpu"}),
                                            ::testing::ValuesIn(case_indices())),
                         case_name);

// graph.h: Eos pools the first position whose id is eos_id, position 0 when there is none (torch's
// argmax(ids == eos_id)). The shared cases check this against the CPU; this pins the positions.
TEST(VulkanOpsContract, EosPoolWithoutEosTakesPositionZero) {
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, DType::F32, "cpu");
    Data data(DType::F32, 11);
    Graph g;
    TokenPoolParams p;
    p.mode = PoolMode::Eos;
    p.eos_id = 9;
    const ValueId ids = data.ids(g, "ids", {1, 2, 3, 4, 9, 5, 6, 7}, Shape{2, 4});
    const ValueId x = data.input(g, "x", Shape{2, 4, 3});
    g.mark_output(g.token_pool(x, ids, p));
    const Tensor got = op_parity::run_guarded(*backend, g, data.inputs)[0];
    const float* tokens = data.inputs[1].f32();
    for (int j = 0; j < 3; ++j) {
        EXPECT_EQ(got.f32()[j], tokens[0 * 3 + j]) << "row 0 has no eos: the first token";
        EXPECT_EQ(got.f32()[3 + j], tokens[(4 + 0) * 3 + j]) << "row 1 has eos first";
    }
    vulkan_test::expect_no_validation_messages(*backend);
}

TEST(VulkanOpsErrors, EmbeddingRejectsOutOfRangeIds) {
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, DType::F32, "cpu");
    Data data(DType::F32, 7);
    Graph g;
    const ValueId ids = data.ids(g, "ids", {1, 2, 13, 4, -1, 5}, Shape{2, 3});
    g.mark_output(g.embedding(ids, data.constant(g, "table", Shape{13, 4})));
    try {
        op_parity::run_guarded(*backend, g, data.inputs);
        ADD_FAILURE() << "an id outside the vocabulary was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("id 13 at position 2 is outside the vocabulary [0, 13)"), std::string::npos) << e.what();
    }
    vulkan_test::expect_no_validation_messages(*backend);
}

}  // namespace
}  // namespace cliprt
