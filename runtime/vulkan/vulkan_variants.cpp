#include "vulkan/vulkan_variants.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "cliprt/error.h"

namespace cliprt::vk {

KernelVariants cpu_style_variants(const PhysicalDevice& device, bool subgroup_broadcast) {
    KernelVariants v;
    v.cpu_style = true;
    // Measured on lavapipe (ViT-B-32 sized GEMMs): every buffer load costs as much per lane as
    // dozens of FMAs, so the kernel that loads each element once per workgroup wins: 64 rows
    // broadcast across an 8-lane subgroup x 8 columns per lane ran ~10x faster than 4x4 register
    // blocks, and 2x faster than the best plain register block (16x16 per invocation).
    const bool broadcast = subgroup_broadcast && device.has_fixed_subgroup_broadcast();
    if (broadcast) {
        const uint32_t sg = device.subgroup.subgroupSize;
        v.gemm_mode = GemmMode::Subgroup;
        v.gemm_wg_n = sg;
        v.gemm_wg_m = 1;
        v.gemm_tm = sg * std::max<uint32_t>(1, 64 / sg);
        v.gemm_tn = 8;
    } else {
        v.gemm_mode = GemmMode::Registers;
        v.gemm_wg_n = 8;
        v.gemm_wg_m = 1;
        v.gemm_tm = 16;
        v.gemm_tn = 16;
    }
    v.gemm_bk = 1;
    v.row_per_workgroup = false;
    v.row_wg = 64;
    v.elementwise_wg = 256;
    if (broadcast) {
        v.attention_mode = GemmMode::Subgroup;
        v.attention_queries = device.subgroup.subgroupSize;
        v.attention_key_tile = 4;
    } else {
        v.attention_mode = GemmMode::Registers;
        v.attention_queries = 16;
        v.attention_key_tile = 8;
    }
    v.subgroup_size = device.subgroup.subgroupSize;
    return v;
}

KernelVariants gpu_style_variants(const PhysicalDevice& device) {
    KernelVariants v;
    const VkPhysicalDeviceLimits& l = device.properties.limits;
    // 256 invocations of 4x4 outputs: 64x64 tiles, 2 * 64 * 17 floats of shared memory per k tile.
    const uint32_t max_invocations = l.maxComputeWorkGroupInvocations;
    if (max_invocations < 256 || l.maxComputeWorkGroupSize[0] < 256) {
        v.gemm_wg_m = v.gemm_wg_n = 8;
        v.row_wg = std::min<uint32_t>(128, max_invocations);
        v.attention_queries = 32;
    }
    v.elementwise_wg = std::min<uint32_t>(256, l.maxComputeWorkGroupSize[0]);
    v.subgroup_size = std::max<uint32_t>(1, device.subgroup.subgroupSize);
    return v;
}

KernelVariants choose_variants(const PhysicalDevice& device, const std::string& style) {
    std::string chosen = style;
    const char* source = "kernels option";
    if (chosen == "auto") {
        const char* env = std::getenv("CLIPRT_VULKAN_KERNELS");
        chosen = env && *env ? env : "auto";
        source = "CLIPRT_VULKAN_KERNELS";
    }
    if (chosen == "cpu") return cpu_style_variants(device, true);
    if (chosen == "registers") return cpu_style_variants(device, false);
    if (chosen == "gpu") return gpu_style_variants(device);
    if (chosen != "auto") fail("vulkan: ", source, " '", chosen, "' (expected cpu, registers, gpu or auto)");
    return device.is_cpu() ? cpu_style_variants(device, true) : gpu_style_variants(device);
}

std::string KernelVariants::describe() const {
    std::ostringstream out;
    switch (gemm_mode) {
        case GemmMode::Subgroup:
            out << "gemm " << gemm_tm << "x" << gemm_tn * gemm_wg_n << " tiles by subgroup broadcast (" << gemm_wg_n << " lanes)";
            break;
        case GemmMode::Registers: out << "register-blocked gemm, " << gemm_tm << "x" << gemm_tn << " per invocation"; break;
        case GemmMode::Shared:
            out << "shared-memory gemm tiles " << gemm_tm * gemm_wg_m << "x" << gemm_tn * gemm_wg_n << "x" << gemm_bk;
            break;
    }
    out << (cpu_style ? "; no shared memory or barriers" : "; shared-memory attention and row reductions");
    return out.str();
}

}  // namespace cliprt::vk
