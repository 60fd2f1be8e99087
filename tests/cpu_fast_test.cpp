// The fast CPU backend against the reference (cpu-ref) on every instruction-set path this processor
// can run (AVX-512, AVX2+FMA and portable are all forced on an AVX-512 machine), with f32 and bf16
// weights: every op of the shared table (op_parity_cases.h, guard regions around every output) and
// every open_clip golden case. Also the vector math (exp, erf, tanh) against libm.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "cliprt/cpu_backend.h"
#include "cliprt/error.h"
#include "models/parity.h"
#include "cpu_fast/cpu_fast_backend.h"
#include "cpu_fast/cpu_fast_kernels.h"
#include "op_parity_cases.h"

namespace cliprt {
namespace {

using cpu_fast::Isa;
using op_parity::cases;
using op_parity::Data;
using op_parity::OpCase;

struct Path {
    Isa isa;
    DType weights;
};

void PrintTo(const Path& p, std::ostream* out) { *out << cpu_fast::isa_name(p.isa) << "/" << dtype_name(p.weights); }

bool runs_here(Isa isa) {
    const Isa hardware = cpu_fast::detected_isa();
    return static_cast<int>(isa) <= static_cast<int>(hardware);
}

std::vector<Path> paths() {
    std::vector<Path> out;
    for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Portable}) {
        out.push_back({isa, DType::F32});
        out.push_back({isa, DType::BF16});
    }
    return out;
}

std::string path_name(const Path& p) { return std::string(cpu_fast::isa_name(p.isa)) + "_" + dtype_name(p.weights); }

#define CLIPRT_SKIP_UNLESS_RUNS(isa) \
    if (!runs_here(isa)) GTEST_SKIP() << "this processor has no " << cpu_fast::isa_name(isa)

// bf16 keeps 8 significant bits where f16 keeps 11: its unit roundoff is 8 times f16's. So the
// matmul family (whose products see the rounded weights and, with AVX512_BF16, rounded activations)
// gets 8 times the f16 limit; every other op runs in f32 and keeps the f32 limits.
double fast_nmse_limit(op_parity::Family family, DType weights) {
    if (weights == DType::BF16 && family == op_parity::Family::Matmul) return 8 * op_parity::nmse_limit(family, DType::F16);
    return op_parity::nmse_limit(family, DType::F32);
}

class CpuFastOps : public ::testing::TestWithParam<std::tuple<Path, size_t>> {};

TEST_P(CpuFastOps, MatchesReference) {
    const auto [path, index] = GetParam();
    CLIPRT_SKIP_UNLESS_RUNS(path.isa);
    const OpCase& c = cases()[index];
    cpu_fast::FastCpuBackend backend(2, path.isa, path.weights);
    Data data(DType::F32, static_cast<uint32_t>(1234 + index));
    auto graph = std::make_shared<Graph>();
    c.build(*graph, data);
    const std::vector<Tensor> want = op_parity::run_cpu(graph, data.inputs);
    const std::vector<Tensor> got = op_parity::run_guarded(backend, *graph, data.inputs);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        const Comparison cmp = compare_tensors(got[i], want[i]);
        EXPECT_TRUE(cmp.finite) << c.name << " output " << i << " has NaN or Inf";
        EXPECT_LE(cmp.nmse, fast_nmse_limit(c.family, path.weights)) << c.name << " output " << i;
    }
}

std::vector<size_t> case_indices() {
    std::vector<size_t> out(cases().size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = i;
    return out;
}

std::string op_case_name(const ::testing::TestParamInfo<std::tuple<Path, size_t>>& info) {
    const auto& [path, index] = info.param;
    std::string name = path_name(path) + "_" + cases()[index].name;
    for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(CpuFast, CpuFastOps, ::testing::Combine(::testing::ValuesIn(paths()), ::testing::ValuesIn(case_indices())),
                         op_case_name);

// Every golden case: f32 weights reach the reference's own bounds (cosine >= 0.99999, NMSE <= 1e-6);
// bf16 weights cosine >= 0.999.
class CpuFastGoldens : public ::testing::TestWithParam<std::tuple<Path, std::string>> {};

std::string goldens_dir() { return std::string(CLIPRT_SOURCE_DIR) + "/tests/goldens"; }

TEST_P(CpuFastGoldens, MatchesOpenClip) {
    const auto& [path, dir] = GetParam();
    CLIPRT_SKIP_UNLESS_RUNS(path.isa);
    cpu_fast::FastCpuBackend backend(2, path.isa, path.weights);
    const ParityTolerance tolerance = path.weights == DType::F32 ? ParityTolerance{} : ParityTolerance{0.999, 2e-3};
    const ParityResult r = run_golden_case(dir, backend, tolerance);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_GE(r.cosine_min, tolerance.cosine_min) << r.name;
    EXPECT_LE(r.nmse, tolerance.nmse) << r.name;
    EXPECT_TRUE(r.pass);
    std::printf("[cpu-fast-golden] %s %s cosine_min %.8f nmse %.3e\n", path_name(path).c_str(), r.name.c_str(),
                r.cosine_min, r.nmse);
}

std::string golden_name(const ::testing::TestParamInfo<std::tuple<Path, std::string>>& info) {
    const auto& [path, dir] = info.param;
    std::string name = path_name(path) + "_" + dir.substr(dir.find_last_of('/') + 1);
    for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(CpuFast, CpuFastGoldens,
                         ::testing::Combine(::testing::ValuesIn(paths()), ::testing::ValuesIn(find_golden_cases(goldens_dir()))),
                         golden_name);

// The activations' vector math against libm in double, on a dense grid over the range that matters.
class CpuFastMath : public ::testing::TestWithParam<Isa> {};

TEST_P(CpuFastMath, ActivationsMatchLibm) {
    CLIPRT_SKIP_UNLESS_RUNS(GetParam());
    const cpu_fast::Kernels& k = cpu_fast::kernels_for(GetParam());
    std::vector<float> x;
    for (float v = -12.0f; v <= 12.0f; v += 1.0f / 1024) x.push_back(v);
    std::vector<float> y(x.size());
    struct Reference {
        Activation act;
        double (*f)(double);
        double abs_limit;
    };
    const Reference refs[] = {
        {Activation::Gelu, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }, 2e-6},
        {Activation::GeluTanh,
         [](double v) { return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))); }, 2e-6},
        {Activation::QuickGelu, [](double v) { return v / (1 + std::exp(-1.702 * v)); }, 2e-6},
        {Activation::Sigmoid, [](double v) { return 1 / (1 + std::exp(-v)); }, 5e-7},
    };
    for (const Reference& r : refs) {
        k.unary(x.data(), y.data(), static_cast<int64_t>(x.size()), r.act, 1.0f, 0.0f);
        double worst = 0;
        for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(y[i] - r.f(x[i])));
        EXPECT_LE(worst, r.abs_limit) << activation_name(r.act);
        std::printf("[cpu-fast-math] %s %s max abs error %.3e\n", cpu_fast::isa_name(GetParam()), activation_name(r.act),
                    worst);
    }
    // softmax(scale * x) rows, including exp's range ends.
    std::vector<float> row = {-100.0f, -20.0f, -1.0f, 0.0f, 0.5f, 3.0f, 20.0f, 80.0f};
    std::vector<float> out(row.size());
    k.softmax(row.data(), out.data(), 1, static_cast<int64_t>(row.size()), 1.0f);
    double total = 0;
    for (size_t i = 0; i < row.size(); ++i) {
        const double want = std::exp(static_cast<double>(row[i]) - 80.0) /
                            (1 + std::exp(20.0 - 80.0) + std::exp(3.0 - 80.0));  // the others underflow
        EXPECT_NEAR(out[i], want, 1e-7) << i;
        total += out[i];
    }
    EXPECT_NEAR(total, 1.0, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(CpuFast, CpuFastMath, ::testing::Values(Isa::Avx512, Isa::Avx2, Isa::Portable),
                         [](const ::testing::TestParamInfo<Isa>& info) { return std::string(cpu_fast::isa_name(info.param)); });

TEST(CpuFastBackend, NamesItsPathAndRefusesAskingForMoreThanTheProcessorHas) {
    cpu_fast::FastCpuBackend backend(1, cpu_fast::detected_isa(), DType::F32);
    const DeviceInfo info = backend.device_info();
    EXPECT_EQ(info.backend, "cpu");
    bool has_isa = false;
    for (const auto& [key, value] : info.details) has_isa = has_isa || (key == "isa" && value == cpu_fast::isa_name(cpu_fast::detected_isa()));
    EXPECT_TRUE(has_isa);
    EXPECT_THROW(make_cpu_backend(1, DType::F16), Error);
}

}  // namespace
}  // namespace cliprt
