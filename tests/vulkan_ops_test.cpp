// The Vulkan backend's own op contracts: exact pooled positions and the embedding's out-of-range
// error. Every op against the CPU oracle, in every dtype and kernel style, is op_parity_test.cpp.
// The validation layer is on; any message fails the test.
#include <gtest/gtest.h>

#include "op_parity_cases.h"
#include "vulkan_test_support.h"

namespace cliprt {
namespace {

using op_parity::Data;

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
        EXPECT_NE(std::string(e.what()).find("id 13 at position 2 is outside the vocabulary [0, 13)"),
                  std::string::npos)
            << e.what();
    }
    vulkan_test::expect_no_validation_messages(*backend);
}

}  // namespace
}  // namespace cliprt
