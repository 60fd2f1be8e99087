// The GEMM kernel shape (gemm.glsl) shared by linear and conv2d: specialization constants and grid.
#pragma once

#include <vector>

#include "vulkan/vulkan_recording.h"

namespace cliprt::vk {

// Constants 0..6 of linear.comp and conv2d.comp: local size and gemm.glsl's tile and mode.
std::vector<uint32_t> gemm_spec(const KernelVariants& v);
// The epilogue fields of LinearPush and Conv2dPush: activation (ACT_*) and EPILOGUE_* flags.
struct GemmEpilogue {
    uint32_t act;
    uint32_t flags;
};
GemmEpilogue gemm_epilogue(Activation act, bool has_bias, bool has_residual);
// Workgroups covering an m x n output.
Grid gemm_grid(const KernelVariants& v, int64_t m, int64_t n);

}  // namespace cliprt::vk
