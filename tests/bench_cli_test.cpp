// `cliprt bench`'s start-up report: the time to the first embedding (model load, backend creation,
// first forward) and, on Vulkan, the pipelines that forward created and the state of the pipeline
// cache (cold or warm). Only the report's fields and the cache's state are checked, never a time.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "search_test_support.h"
#if defined(CLIPRT_TEST_VULKAN)  // not in the sanitizer tree, which is built without Vulkan
#include "vulkan_test_support.h"
#endif

namespace cliprt {
namespace {

const std::string kRoot = CLIPRT_SOURCE_DIR;

nlohmann::json bench(const std::string& backend, const std::string& pipeline_cache, const test::TempDir& dir) {
    const test::CliRun r =
        test::run_cliprt({"bench", "--model", kRoot + "/models/default", "--backend", backend, "--tower", "image",
                          "--batch", "1", "--min-seconds", "0.01", "--pipeline-cache", pipeline_cache, "--json"},
                         dir.str());
    EXPECT_EQ(r.code(), 0) << r.err;
    return nlohmann::json::parse(r.out);
}

void expect_startup_fields(const nlohmann::json& s) {
    for (const char* key : {"load_ms", "backend_ms", "first_forward_ms", "first_embedding_ms", "pipelines_ms"})
        EXPECT_GE(s.at(key).get<double>(), 0.0) << key;
    EXPECT_NEAR(
        s.at("first_embedding_ms").get<double>(),
        s.at("load_ms").get<double>() + s.at("backend_ms").get<double>() + s.at("first_forward_ms").get<double>(),
        1e-6 * s.at("first_embedding_ms").get<double>() + 1e-9);
    EXPECT_EQ(s.at("tower"), "image");
    EXPECT_EQ(s.at("batch"), 1);
    EXPECT_TRUE(s.contains("pipeline_cache_hits"));
}

TEST(BenchCommand, ReportsStartupOnTheCpu) {
    test::TempDir dir;
    const nlohmann::json j = bench("cpu-ref", "default", dir);
    ASSERT_EQ(j.at("startup").size(), 1u);
    const nlohmann::json& s = j.at("startup")[0];
    expect_startup_fields(s);
    EXPECT_EQ(s.at("backend"), "cpu-ref");
    EXPECT_EQ(s.at("pipelines"), 0);
    EXPECT_EQ(s.at("pipeline_cache"), "");
}

#if defined(CLIPRT_TEST_VULKAN)
// A cache file named by --pipeline-cache is cold on the first run (and written), warm on the
// second (loaded); --pipeline-cache cold ignores it.
TEST(VulkanBenchCommand, StartupWithAColdAndAWarmPipelineCache) {
    std::string why;
    if (!vulkan_test::shared_backend(DType::F32, "auto", &why)) CLIPRT_VULKAN_UNAVAILABLE(why);
    test::TempDir dir;
    const std::string cache = dir / "pipelines.bin";
    int pipelines = 0;
    for (const char* want : {"cold", "warm"}) {
        const nlohmann::json j = bench("vulkan", cache, dir);
        ASSERT_EQ(j.at("startup").size(), 1u);
        const nlohmann::json& s = j.at("startup")[0];
        expect_startup_fields(s);
        EXPECT_EQ(s.at("pipeline_cache"), want) << s.at("pipeline_cache_detail");
        EXPECT_NE(s.at("pipeline_cache_detail").get<std::string>().find(cache), std::string::npos);
        EXPECT_GT(s.at("pipelines").get<int>(), 0);
        if (pipelines > 0) {
            EXPECT_EQ(s.at("pipelines").get<int>(), pipelines);
        }
        pipelines = s.at("pipelines").get<int>();
        EXPECT_TRUE(std::filesystem::exists(cache));
    }
    const nlohmann::json j = bench("vulkan", "cold", dir);
    EXPECT_EQ(j.at("startup")[0].at("pipeline_cache"), "cold");
}
#endif

}  // namespace
}  // namespace cliprt
