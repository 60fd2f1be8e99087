// The fast CPU backend's own contracts on every instruction-set path this processor can run: the
// vector math (exp, erf, tanh) against libm, and the device report. Every op against cpu-ref and
// every golden case, on every ISA path with f32 and bf16 weights, are the shared parity suites
// (op_parity_test.cpp, golden_parity_test.cpp; the "cpu" entry of parity_backends.h).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "cliprt/cpu_backend.h"
#include "cliprt/error.h"
#include "cpu/cpu_kernels.h"
#include "cpu/thread_pool.h"
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

// Which of the op table's convolutions (whose numbers it checks on every ISA) run by Winograd: the
// rule's edges are on both sides (3x3_s1_p1_many_tiles has 17 channels, 3x3_wide 33).
TEST(CpuFastWinograd, RunsTheOpTablesWinogradCasesAndNoOthers) {
    std::string winograd;
    for (const op_parity::OpCase& c : op_parity::conv_cases()) {
        Graph g;
        op_parity::Data data(DType::F32, 1);
        c.build(g, data);
        for (const Node& node : g.nodes())
            if (const int m = cpu_fast::winograd_tile(g, node); m != 0)
                winograd += c.name + ":" + std::to_string(m) + " ";
    }
    EXPECT_EQ(winograd,
              "conv2d_3x3_wide:2 conv2d_3x3_winograd_odd:2 conv2d_3x3_winograd_square:2 conv2d_3x3_winograd4_odd:4 ");
}

// Both schedules of the Winograd convolution (blocks of tiles per thread, and the 16 GEMMs over
// all tiles sharing the threads) against the oracle's direct convolution, on every ISA path: odd
// sizes, channels past whole vectors and panels, several blocks and a partial last one, the
// epilogue (bias, residual, ReLU). The op table reaches only the schedule its sizes pick.
class CpuFastWinogradSchedules : public ::testing::TestWithParam<std::tuple<Isa, int>> {};

TEST_P(CpuFastWinogradSchedules, MatchTheOracle) {
    const auto [isa, m] = GetParam();
    CLIPRT_SKIP_UNLESS_RUNS(isa);
    const cpu_fast::Kernels& kernels = cpu_fast::kernels_for(isa);
    const cpu::Conv2dShape s{.batch = 2,
                             .in_channels = 37,
                             .in_h = 11,
                             .in_w = 9,
                             .out_channels = 45,
                             .kernel_h = 3,
                             .kernel_w = 3,
                             .pad_h = 1,
                             .pad_w = 1};
    const int64_t plane = s.in_h * s.in_w;
    uint32_t state = 7;
    const auto random = [&state] {
        state = state * 1664525u + 1013904223u;
        return static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
    };
    std::vector<float> x(s.batch * s.in_channels * plane), w(s.out_channels * s.in_channels * 9), bias(s.out_channels),
        residual(s.batch * s.out_channels * plane), expected(residual.size());
    for (std::vector<float>* v : {&x, &w, &bias, &residual})
        for (float& value : *v) value = random();
    cpu::ThreadPool pool(2);
    cpu::conv2d(pool, x.data(), w.data(), bias.data(), residual.data(), expected.data(), s, Activation::Relu);
    // NCHW <-> NHWC.
    const auto to_nhwc = [&](const std::vector<float>& nchw, int64_t channels) {
        std::vector<float> out(nchw.size());
        for (int64_t n = 0; n < s.batch; ++n)
            for (int64_t c = 0; c < channels; ++c)
                for (int64_t p = 0; p < plane; ++p)
                    out[(n * plane + p) * channels + c] = nchw[(n * channels + c) * plane + p];
        return out;
    };
    const std::vector<float> x_nhwc = to_nhwc(x, s.in_channels), residual_nhwc = to_nhwc(residual, s.out_channels);
    const std::vector<float> expected_nhwc = to_nhwc(expected, s.out_channels);
    cpu_fast::PackCache packs;
    const auto u = packs.get_winograd(1, 0, w.data(), s.out_channels, s.in_channels, kernels.gemm_nr, m);
    cpu_fast::GemmEpilogue ep;
    ep.bias = bias.data();
    ep.residual = residual_nhwc.data();
    ep.ldr = s.out_channels;
    ep.act = Activation::Relu;
    const cpu_fast::WinogradTiles wt{x_nhwc.data(), s.batch, s.in_h, s.in_w, s.in_channels, s.out_channels, m};
    // 60 tiles of 2x2 or 18 of 4x4: 1 byte per thread forces blocks (of 4 register blocks' rows, or
    // one per thread: with 2x2 several, the last partial); 1 GB fits them all.
    for (const int64_t block_bytes : {int64_t{1}, int64_t{1} << 30}) {
        std::vector<float> y(expected_nhwc.size(), std::nanf(""));
        cpu_fast::parallel_winograd_conv(pool, kernels, wt, *u, y.data(), ep, block_bytes);
        double err = 0, ref = 0;
        for (size_t i = 0; i < y.size(); ++i) {
            err += (y[i] - expected_nhwc[i]) * (y[i] - expected_nhwc[i]);
            ref += expected_nhwc[i] * expected_nhwc[i];
        }
        std::printf("[cpu-fast-winograd] %s F(%dx%d) block_bytes %lld nmse %.3e\n", cpu_fast::isa_name(isa), m, m,
                    static_cast<long long>(block_bytes), err / ref);
        EXPECT_LE(err / ref, m == 2 ? 1e-12 : 1e-11) << "block_bytes " << block_bytes;
    }
}

INSTANTIATE_TEST_SUITE_P(CpuFast, CpuFastWinogradSchedules,
                         ::testing::Combine(::testing::Values(Isa::Avx512, Isa::Avx2, Isa::Portable),
                                            ::testing::Values(2, 4)),
                         [](const ::testing::TestParamInfo<std::tuple<Isa, int>>& info) {
                             return std::string(cpu_fast::isa_name(std::get<0>(info.param))) + "_m" +
                                    std::to_string(std::get<1>(info.param));
                         });

}  // namespace
}  // namespace cliprt
