#include "vulkan/vulkan_gemm.h"

#include "cliprt/error.h"

namespace cliprt::vk {

namespace {

constexpr uint32_t kMaxTn = 16;  // conv2d.comp keeps one decoded pixel per column slot

}  // namespace

std::vector<uint32_t> gemm_spec(const KernelVariants& v) {
    if (v.gemm_tn > kMaxTn) fail("vulkan: gemm tile width ", v.gemm_tn, " exceeds ", kMaxTn);
    return {v.gemm_wg_n, v.gemm_wg_m, 1, v.gemm_tm, v.gemm_tn, static_cast<uint32_t>(v.gemm_mode), v.gemm_bk};
}

GemmEpilogue gemm_epilogue(Activation act, bool has_bias, bool has_residual) {
    return {static_cast<uint32_t>(act),
            (has_bias ? shader::EPILOGUE_BIAS : 0u) | (has_residual ? shader::EPILOGUE_RESIDUAL : 0u)};
}

Grid gemm_grid(const KernelVariants& v, int64_t m, int64_t n) {
    return Grid{static_cast<uint32_t>(ceil_div(static_cast<uint64_t>(n), v.gemm_wg_n * v.gemm_tn)),
                static_cast<uint32_t>(ceil_div(static_cast<uint64_t>(m), v.gemm_wg_m * v.gemm_tm)), 1};
}

}  // namespace cliprt::vk
