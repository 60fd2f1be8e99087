#include "vulkan/vulkan_variants.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "cliprt/error.h"

namespace cliprt::vk {

KernelVariants cpu_style_variants() {
    KernelVariants v;
    v.cpu_style = true;
    v.gemm_shared = false;
    v.gemm_tm = 4;
    v.gemm_tn = 4;
    v.gemm_wg_m = 8;
    v.gemm_wg_n = 8;
    v.gemm_bk = 1;
    v.row_per_workgroup = false;
    v.row_wg = 64;
    v.elementwise_wg = 256;
    v.attention_shared = false;
    v.attention_queries = 16;
    v.attention_key_tile = 8;
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
    if (chosen == "cpu") return cpu_style_variants();
    if (chosen == "gpu") return gpu_style_variants(device);
    if (chosen != "auto") fail("vulkan: ", source, " '", chosen, "' (expected cpu, gpu or auto)");
    return device.is_cpu() ? cpu_style_variants() : gpu_style_variants(device);
}

std::string KernelVariants::describe() const {
    std::ostringstream out;
    if (cpu_style) {
        out << "register-blocked gemm " << gemm_tm << "x" << gemm_tn << " per invocation, no shared memory";
    } else {
        out << "shared-memory gemm tiles " << gemm_tm * gemm_wg_m << "x" << gemm_tn * gemm_wg_n << "x" << gemm_bk;
    }
    return out.str();
}

}  // namespace cliprt::vk
