// Which kernel variant each op family uses on a device, and its tile sizes (passed to the shaders
// as specialization constants). Barriers and shared memory are cheap on GPUs and expensive on CPU
// implementations such as lavapipe, where each invocation should instead own a register block and
// read global memory directly.
#pragma once

#include <cstdint>
#include <string>

#include "shader_interface.h"
#include "vulkan/vulkan_physical_device.h"

namespace cliprt::vk {

// How gemm.glsl feeds its accumulators (its MODE constant, MODE_* of shader_interface.h).
enum class GemmMode : uint32_t { Registers = shader::MODE_REGISTERS, Shared = shader::MODE_SHARED };
// How attention.comp gets keys and values to its invocations (its MODE constant; Subgroup only in
// its subgroup build).
enum class AttentionMode : uint32_t {
    Registers = shader::MODE_REGISTERS,
    Shared = shader::MODE_SHARED,
    Subgroup = shader::MODE_SUBGROUP
};

struct KernelVariants {
    bool cpu_style = false;  // no shared memory or barriers, a row per invocation

    // Read-only inputs of the GEMM shaders through uniform texel buffers (the "texel" shader
    // variants) where the tensor fits the device's texel limits.
    bool texel_loads = false;

    // GEMM (linear and implicit-GEMM conv2d): each invocation computes tm x tn outputs; a
    // workgroup of wg_m x wg_n invocations. With shared tiles, bk is the depth of a k tile.
    GemmMode gemm_mode = GemmMode::Shared;
    uint32_t gemm_tm = 4, gemm_tn = 4, gemm_wg_m = 16, gemm_wg_n = 16, gemm_bk = 16;

    // Subgroup arithmetic (the "subgroup" shader builds) in the row ops and attention, where the
    // device has it in compute shaders and VulkanOptions::subgroups / CLIPRT_VULKAN_SUBGROUPS allow.
    // subgroup_size: the largest subgroup the device may run; workgroup counts assume it, the
    // shaders count their lanes, so any size the driver picks is correct.
    bool subgroups = false;
    uint32_t subgroup_size = 0;

    // Row ops (layer norm, softmax, l2 normalize): a workgroup per row, or a row per invocation
    // (with subgroups: a row per subgroup, row_wg / subgroup_size rows per workgroup).
    bool row_per_workgroup = true;
    uint32_t row_wg = 256;

    // Elementwise and layout kernels.
    uint32_t elementwise_wg = 256;

    // Attention: an invocation per query row, attention_queries rows of one head per workgroup,
    // keys attention_key_tile at a time, staged in shared memory or read by each invocation.
    // With subgroups: a subgroup per query row, attention_queries invocations per workgroup
    // (attention_queries / subgroup_size queries).
    AttentionMode attention_mode = AttentionMode::Shared;
    uint32_t attention_queries = 64, attention_key_tile = 16;

    std::string describe() const;
};

// style "cpu", "registers" (cpu with plain storage-buffer loads only) or "gpu" forces a style
// (tests run each); "auto" consults CLIPRT_VULKAN_KERNELS, then picks by device type. subgroups:
// use subgroup arithmetic where the device has it, unless CLIPRT_VULKAN_SUBGROUPS is 0 or off;
// false keeps the shared-memory and per-invocation reductions (tests run both).
KernelVariants choose_variants(const PhysicalDevice& device, const std::string& style, bool subgroups = true);
// Turns on the subgroup paths of `v` where the device has subgroup arithmetic.
void use_subgroups(KernelVariants& v, const PhysicalDevice& device);
// fast_loads: texel-buffer loads where the device has them.
KernelVariants cpu_style_variants(const PhysicalDevice& device, bool fast_loads);
KernelVariants gpu_style_variants(const PhysicalDevice& device);

}  // namespace cliprt::vk
