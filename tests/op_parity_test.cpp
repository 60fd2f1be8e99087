// Every op case of op_parity_cases.h (the shared table, plus a backend's own cases) on every
// backend under test (parity_backends.h) against the CPU oracle `cpu-ref`, in each of the
// backend's configurations (storage dtype, kernel variant), with sentinel guards around every
// output and the case family's NMSE limit.
#include <gtest/gtest.h>

#include <cstdio>

#include "parity_backends.h"

namespace cliprt::parity_test {
namespace {

using OpParam = std::tuple<ParityConfig, size_t>;  // configuration, index into op_cases(backend)

class OpParity : public ::testing::TestWithParam<OpParam> {};

TEST_P(OpParity, MatchesCpu) {
    const auto& [config, index] = GetParam();
    const ParityBackend& entry = parity_backend(config.backend);
    const op_parity::OpCase& c = op_cases(config.backend)[index];
    CLIPRT_PARITY_BACKEND_OR_SKIP(backend, entry, config);
    op_parity::Data data(config.dtype, static_cast<uint32_t>(1234 + index));
    auto graph = std::make_shared<Graph>();
    c.build(*graph, data);
    const std::vector<Tensor> want = op_parity::run_cpu(graph, data.inputs);
    const std::vector<Tensor> got = op_parity::run_guarded(*backend, *graph, data.inputs);
    const double limit = entry.nmse_limit(config, c.family);
    ASSERT_EQ(got.size(), want.size()) << c.name;
    for (size_t i = 0; i < got.size(); ++i) {
        const Comparison cmp = compare_tensors(got[i], want[i]);
        EXPECT_TRUE(cmp.finite) << c.name << " output " << i << " has NaN or Inf";
        EXPECT_LE(cmp.nmse, limit) << c.name << " output " << i;
        std::printf("[%s-nmse] %s %s %s %.3e\n", config.backend.c_str(), dtype_name(config.dtype),
                    config.variant.c_str(), c.name.c_str(), cmp.nmse);
    }
    entry.after_each(*backend);
}

// Every (configuration, case) of one backend.
std::vector<OpParam> op_params(const std::string& backend) {
    std::vector<OpParam> out;
    for (const ParityConfig& config : parity_backend(backend).op_configs) {
        for (size_t i = 0; i < op_cases(backend).size(); ++i) out.emplace_back(config, i);
    }
    return out;
}

std::string op_param_name(const ::testing::TestParamInfo<OpParam>& info) {
    const auto& [config, index] = info.param;
    return test_name(config_name(config) + "_" + op_cases(config.backend)[index].name);
}

// One line per backend under test; ctest's entries select them by name (cpu_fast: CpuFast*, vulkan:
// *Vulkan*, cuda: *Cuda*).
INSTANTIATE_TEST_SUITE_P(CpuFast, OpParity, ::testing::ValuesIn(op_params("cpu")), op_param_name);
#if defined(CLIPRT_TEST_VULKAN)
INSTANTIATE_TEST_SUITE_P(Vulkan, OpParity, ::testing::ValuesIn(op_params("vulkan")), op_param_name);
#endif
INSTANTIATE_TEST_SUITE_P(Cuda, OpParity, ::testing::ValuesIn(op_params("cuda")), op_param_name);

}  // namespace
}  // namespace cliprt::parity_test
