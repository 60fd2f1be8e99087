// Every golden case under tests/goldens (made by tools/make_goldens.py with open_clip) on the CPU
// backend: f32 must reach cosine >= 0.99999 and NMSE <= 1e-6 on every output.
#include <gtest/gtest.h>

#include <cmath>

#include "cliprt/cpu_backend.h"
#include "models/parity.h"

namespace cliprt {
namespace {

std::string goldens_dir() { return std::string(CLIPRT_SOURCE_DIR) + "/tests/goldens"; }

class GoldenParity : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenParity, CpuMatchesOpenClip) {
    auto backend = make_cpu_backend();
    const ParityResult r = run_golden_case(GetParam(), *backend, ParityTolerance{});
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_GE(r.cosine_min, 0.99999) << r.name;
    EXPECT_LE(r.nmse, 1e-6) << r.name;
    EXPECT_TRUE(r.pass);
    RecordProperty("cosine_min", std::to_string(r.cosine_min));
    RecordProperty("nmse", std::to_string(r.nmse));
    RecordProperty("seconds", std::to_string(r.seconds));
}

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string name = info.param.substr(info.param.find_last_of('/') + 1);
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Goldens, GoldenParity, ::testing::ValuesIn(find_golden_cases(goldens_dir())), case_name);

TEST(GoldenCases, AllExpectedCasesArePresent) {
    // The three full-size cases the foundation issue requires, plus the small option cases.
    const auto cases = find_golden_cases(goldens_dir());
    auto has = [&](const std::string& name) {
        for (const auto& c : cases) {
            if (c.size() >= name.size() && c.substr(c.size() - name.size()) == name) return true;
        }
        return false;
    };
    EXPECT_TRUE(has("rn50_image"));
    EXPECT_TRUE(has("vit_b_32_image"));
    EXPECT_TRUE(has("vit_b_32_text"));
    EXPECT_GE(cases.size(), 15u);
}

TEST(CompareTensors, DetectsNanAndMismatch) {
    Tensor a = Tensor::from_f32({1, 3}, {1, 2, 3});
    Tensor b = Tensor::from_f32({1, 3}, {1, 2, 3});
    EXPECT_NEAR(compare_tensors(a, b).cosine_min, 1.0, 1e-12);
    EXPECT_EQ(compare_tensors(a, b).nmse, 0.0);
    Tensor c = Tensor::from_f32({1, 3}, {1, 2, std::nanf("")});
    EXPECT_FALSE(compare_tensors(c, b).finite);
    EXPECT_EQ(compare_tensors(c, b).cosine_min, 0.0);
    Tensor d = Tensor::from_f32({1, 3}, {-1, -2, -3});
    EXPECT_NEAR(compare_tensors(d, b).cosine_min, -1.0, 1e-12);
    EXPECT_THROW(compare_tensors(Tensor::from_f32({3}, {1, 2, 3}), b), std::exception);
}

}  // namespace
}  // namespace cliprt
