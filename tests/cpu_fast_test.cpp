// The fast CPU backend's own contracts on every instruction-set path this processor can run: the
// vector math (exp, erf, tanh) against libm, and the device report. Every op against cpu-ref and
// every golden case, on every ISA path with f32 and bf16 weights, are the shared parity suites
// (op_parity_test.cpp, golden_parity_test.cpp; the "cpu" entry of parity_backends.h).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "cliprt/cpu_backend.h"
#include "cliprt/error.h"
#include "cpu_fast/cpu_fast_backend.h"
#include "cpu_fast/cpu_fast_kernels.h"
#include "cpu_fast/cpu_fast_layout.h"
#include "cpu_fast/cpu_fast_winograd.h"
#include "op_parity_cases.h"

namespace cliprt {
namespace {

using cpu_fast::Isa;

bool runs_here(Isa isa) {
    const Isa hardware = cpu_fast::detected_isa();
    return static_cast<int>(isa) <= static_cast<int>(hardware);
}

#define CLIPRT_SKIP_UNLESS_RUNS(isa) \
    if (!runs_here(isa)) GTEST_SKIP() << "this processor has no " << cpu_fast::isa_name(isa)

// The activations' vector math against libm in double, on a dense grid over the range that matters.
class CpuFastMath : public ::testing::TestWithParam<Isa> {};

TEST_P(CpuFastMath, ActivationsMatchLibm) {
    CLIPRT_SKIP_UNLESS_RUNS(GetParam());
    const cpu_fast::Kernels& k = cpu_fast::kernels_for(GetParam());
    std::vector<float> x;
    for (float v = -12.0f; v <= 12.0f; v += 1.0f / 1024) x.push_back(v);
    // Past exp's range (the activations' reciprocals must not meet an infinity): the same absolute
    // limit plus a few ulp of the result, whose ulp reaches 0.06 at 1e6.
    const size_t extremes = x.size();
    for (float v : {-1e6f, -1e4f, -100.0f, -90.0f, -88.8f, -60.0f, 60.0f, 88.8f, 90.0f, 100.0f, 1e4f, 1e6f})
        x.push_back(v);
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
        for (size_t i = 0; i < x.size(); ++i) {
            const double want = r.f(x[i]);
            const double error = std::abs(y[i] - want);
            ASSERT_TRUE(std::isfinite(y[i])) << activation_name(r.act) << " of " << x[i];
            if (i < extremes)
                worst = std::max(worst, error);
            else
                EXPECT_LE(error, r.abs_limit + 4.8e-7 * std::abs(want)) << activation_name(r.act) << " of " << x[i];
        }
        EXPECT_LE(worst, r.abs_limit) << activation_name(r.act);
        std::printf("[cpu-fast-math] %s %s max abs error %.3e\n", cpu_fast::isa_name(GetParam()),
                    activation_name(r.act), worst);
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
                         [](const ::testing::TestParamInfo<Isa>& info) {
                             return std::string(cpu_fast::isa_name(info.param));
                         });

TEST(CpuFastBackend, NamesItsPathAndRefusesAskingForMoreThanTheProcessorHas) {
    cpu_fast::FastCpuBackend backend(1, cpu_fast::detected_isa(), DType::F32);
    const DeviceInfo info = backend.device_info();
    EXPECT_EQ(info.backend, "cpu");
    bool has_isa = false;
    for (const auto& [key, value] : info.details)
        has_isa = has_isa || (key == "isa" && value == cpu_fast::isa_name(cpu_fast::detected_isa()));
    EXPECT_TRUE(has_isa);
    EXPECT_THROW(make_cpu_backend(1, DType::F16), Error);
}

// The values that the channels-last convolutions keep NHWC in the op table's chain (whose
// numbers the op table checks): those made and read only by convolutions and pools.
TEST(CpuFastLayout, KeepsNhwcOnlyValuesThatFlowBetweenConvolutions) {
    const std::vector<op_parity::OpCase> cases = op_parity::conv_cases();
    const auto chain = std::find_if(cases.begin(), cases.end(),
                                    [](const op_parity::OpCase& c) { return c.name == "conv2d_chain_channels_last"; });
    ASSERT_NE(chain, cases.end());
    Graph g;
    op_parity::Data data(DType::F32, 1);
    chain->build(g, data);
    std::string nhwc;
    for (const Node& node : g.nodes())
        if (cpu_fast::value_is_nhwc(g, node.output, cpu_fast::WeightFormat::F32)) nhwc += node.name + " ";
    EXPECT_EQ(nhwc, "a b p ");
    for (const ValueId input : g.inputs()) EXPECT_FALSE(cpu_fast::value_is_nhwc(g, input, cpu_fast::WeightFormat::F32));
    // bf16 on AMX tiles runs convolutions on NCHW patch panels.
    for (const Node& node : g.nodes())
        EXPECT_FALSE(cpu_fast::value_is_nhwc(g, node.output, cpu_fast::WeightFormat::Bf16Amx)) << node.name;
}

// The op table's Winograd cases (whose numbers it checks on every ISA) run by Winograd, and the
// other 3x3 convolutions of stride 1 do not: the rule's edges.
TEST(CpuFastWinograd, RunsTheOpTablesWinogradCasesAndNoOthers) {
    int winograd = 0;
    for (const op_parity::OpCase& c : op_parity::conv_cases()) {
        Graph g;
        op_parity::Data data(DType::F32, 1);
        c.build(g, data);
        for (const Node& node : g.nodes()) {
            if (node.op != OpKind::Conv2d) continue;
            const bool expected = c.name.find("winograd") != std::string::npos;
            EXPECT_EQ(cpu_fast::conv_runs_winograd(g, node), expected) << c.name;
            winograd += expected;
        }
    }
    EXPECT_EQ(winograd, 2);
}

}  // namespace
}  // namespace cliprt
