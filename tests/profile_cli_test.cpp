// `cliprt profile`: every node of the forward is timed (one row per node that runs, each with its
// steps), the rows add up to the forward's step time and its shares to one, and the FLOPs are the
// graph's own count (node_cost.h). On cpu-ref (host timers), on Vulkan (timestamp queries) and on
// CUDA (events; skipped without a CUDA device).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "cliprt/node_cost.h"
#include "models/model_loader.h"
#include "parity_backends.h"
#include "search_test_support.h"
#if defined(CLIPRT_TEST_VULKAN)  // not in the sanitizer tree, which is built without Vulkan
#include "vulkan_test_support.h"
#endif

namespace cliprt {
namespace {

const std::string kRoot = CLIPRT_SOURCE_DIR;

void check_profile(const std::string& backend, int expected_runs_min_steps) {
    test::TempDir dir;
    const test::CliRun r =
        test::run_cliprt({"profile", "--model", kRoot + "/models/default", "--weights", "synthetic", "--backend",
                          backend, "--tower", "image", "--batch", "2", "--runs", "2", "--top", "0", "--json"},
                         dir.str());
    ASSERT_EQ(r.code(), 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    // The graph the command profiled: the default model's normalized image tower at batch 2.
    auto model = load_clip_model(kRoot + "/models/default", "synthetic");
    const auto graph = model->image_graph(2, true);
    size_t running = 0;
    for (const Node& node : graph->nodes()) running += node.op != OpKind::Reshape ? 1 : 0;
    ASSERT_EQ(j.at("nodes").size(), running);
    double ms = 0, share = 0, gflop = 0;
    int steps = 0;
    for (const auto& n : j.at("nodes")) {
        EXPECT_GE(n.at("steps").get<int>(), 1) << n.at("name");
        EXPECT_GE(n.at("ms").get<double>(), 0.0) << n.at("name");
        ms += n.at("ms").get<double>();
        share += n.at("share").get<double>();
        gflop += n.at("gflop").get<double>();
        steps += n.at("steps").get<int>();
    }
    EXPECT_GE(steps, expected_runs_min_steps);
    EXPECT_GT(j.at("steps_ms").get<double>(), 0.0);
    EXPECT_NEAR(ms, j.at("steps_ms").get<double>(), 1e-6 * ms + 1e-9);
    EXPECT_NEAR(share, 1.0, 1e-9);
    EXPECT_NEAR(gflop, 1e-9 * static_cast<double>(graph_cost(*graph).flops), 1e-9);
    double op_ms = 0;
    for (const auto& o : j.at("ops")) op_ms += o.at("ms").get<double>();
    EXPECT_NEAR(op_ms, ms, 1e-6 * ms + 1e-9);
}

TEST(ProfileCommand, CpuRefTimesEveryNode) { check_profile("cpu-ref", 1); }

TEST(CudaProfileCommand, TimesEveryStep) {
    if (!parity_test::cuda_unavailable_reason().empty())
        GTEST_SKIP() << "no CUDA device: " << parity_test::cuda_unavailable_reason();
    check_profile("cuda", 1);
}

#if defined(CLIPRT_TEST_VULKAN)
TEST(VulkanProfileCommand, TimesEveryDispatch) {
    std::string why;
    if (!vulkan_test::shared_backend(DType::F32, "auto", &why)) CLIPRT_VULKAN_UNAVAILABLE(why);
    check_profile("vulkan", 1);
}
#endif

}  // namespace
}  // namespace cliprt
