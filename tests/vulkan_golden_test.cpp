// Every golden case under tests/goldens (open_clip outputs, see tools/make_goldens.py) on the
// Vulkan backend, with the validation layer on:
//   f32: cosine >= 0.99999 and NMSE <= 1e-6 on every output (the foundation issue's bar);
//   f16 storage: cosine >= 0.999 and NMSE <= 2e-3 (the whole-graph bound of ggml's parity tests).
// The small cases also run with the shared-memory ("gpu") kernels; the full-size ones (rn50_image,
// vit_b_32_*) only with the kernels the device would pick, to keep CI time down on lavapipe.
#include <gtest/gtest.h>

#include <cctype>

#include "cliprt/cpu_backend.h"
#include "models/parity.h"
#include "vulkan_test_support.h"

namespace cliprt {
namespace {

std::string goldens_dir() { return std::string(CLIPRT_SOURCE_DIR) + "/tests/goldens"; }

bool is_full_size(const std::string& case_dir) {
    const std::string name = case_dir.substr(case_dir.find_last_of('/') + 1);
    return name.rfind("small_", 0) != 0;
}

void run_case(const std::string& case_dir, DType dtype, const std::string& kernels) {
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, dtype, kernels);
    ParityTolerance tolerance;
    if (dtype == DType::F16) tolerance = ParityTolerance{0.999, 2e-3};
    const ParityResult r = run_golden_case(case_dir, *backend, tolerance);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_GE(r.cosine_min, tolerance.cosine_min) << r.name;
    EXPECT_LE(r.nmse, tolerance.nmse) << r.name;
    EXPECT_TRUE(r.pass) << r.name;
    std::printf("[vulkan-golden] %s %s %s cosine_min %.8f nmse %.3e max_abs %.3e %.1f s\n", r.name.c_str(), dtype_name(dtype),
                kernels.c_str(), r.cosine_min, r.nmse, r.max_abs, r.seconds);
    ::testing::Test::RecordProperty("cosine_min", std::to_string(r.cosine_min));
    ::testing::Test::RecordProperty("nmse", std::to_string(r.nmse));
    ::testing::Test::RecordProperty("seconds", std::to_string(r.seconds));
    vulkan_test::expect_no_validation_messages(*backend);
}

class VulkanGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(VulkanGolden, F32) { run_case(GetParam(), DType::F32, "auto"); }

TEST_P(VulkanGolden, F16) { run_case(GetParam(), DType::F16, "auto"); }

TEST_P(VulkanGolden, F32SharedMemoryKernels) {
    if (is_full_size(GetParam())) GTEST_SKIP() << "full-size cases run with the device's own kernels only";
    run_case(GetParam(), DType::F32, "gpu");
}

// `cliprt parity --against`: the model on Vulkan compared with the same model on the CPU backend.
TEST(VulkanGoldenAgainst, CpuBackend) {
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, DType::F32, "auto");
    auto cpu = make_cpu_ref_backend(0);
    const ParityResult r = run_golden_case_against(goldens_dir() + "/small_clip_logits", *backend, *cpu, ParityTolerance{});
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_TRUE(r.pass) << r.cosine_min << " " << r.nmse;
    EXPECT_EQ(r.backend, "vulkan vs cpu-ref");
    EXPECT_GT(r.nmse, 0.0);  // two different devices' arithmetic: the outputs really were compared
    vulkan_test::expect_no_validation_messages(*backend);
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string name = info.param.substr(info.param.find_last_of('/') + 1);
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Vulkan, VulkanGolden, ::testing::ValuesIn(find_golden_cases(goldens_dir())), case_name);

}  // namespace
}  // namespace cliprt
