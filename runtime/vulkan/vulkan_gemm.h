// The GEMM kernel shape (gemm.glsl) shared by linear and conv2d: specialization constants and grid.
#pragma once

#include <vector>

#include "vulkan/vulkan_recording.h"

namespace cliprt::vk {

// Constants 0..10 of linear.comp and conv2d.comp: local size, activation, tile, epilogue inputs.
std::vector<uint32_t> gemm_spec(const KernelVariants& v, Activation act, bool has_bias, bool has_residual);
// Workgroups covering an m x n output.
Grid gemm_grid(const KernelVariants& v, int64_t m, int64_t n);

}  // namespace cliprt::vk
