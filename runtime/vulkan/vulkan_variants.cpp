#include "vulkan/vulkan_variants.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "cliprt/error.h"

namespace cliprt::vk {

KernelVariants cpu_style_variants(const PhysicalDevice& device, bool fast_loads) {
    KernelVariants v;
    v.cpu_style = true;
    // Measured on lavapipe (Mesa 22.3, ViT-B-32 sized GEMMs): a storage-buffer load costs as much
    // per element and lane as dozens of FMAs, a vec4 texel fetch about as much as one of them, and
    // barriers are slow. Best: 8x8 outputs per invocation fed by vec4 texel fetches (~6 GFLOP/s,
    // against ~1.2 for the best storage-buffer kernel and ~0.2 for 4x4 register blocks).
    v.texel_loads = fast_loads && device.texel_views;
    v.gemm_mode = GemmMode::Registers;
    v.gemm_wg_n = 8;
    v.gemm_wg_m = 1;
    v.gemm_tm = 8;
    v.gemm_tn = 8;
    v.gemm_bk = 1;
    v.row_per_workgroup = false;
    v.row_wg = 64;
    v.elementwise_wg = 256;
    v.attention_mode = AttentionMode::Registers;
    v.attention_queries = 16;
    v.attention_key_tile = 4;
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

namespace {

KernelVariants choose_style(const PhysicalDevice& device, const std::string& style) {
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

}  // namespace

void use_subgroups(KernelVariants& v, const PhysicalDevice& device) {
    if (!device.subgroup_arithmetic()) return;
    const VkPhysicalDeviceLimits& l = device.properties.limits;
    const uint32_t size = std::max(device.subgroup.subgroupSize, device.max_subgroup_size);
    // Attention: at least one whole subgroup per workgroup, 64 invocations on CPU devices (eight
    // queries of lavapipe's subgroups of 8), 128 on GPUs (4 queries at 32, 2 at 64).
    const uint32_t attention_wg = std::max(size, v.cpu_style ? 64u : 128u);
    if (attention_wg > l.maxComputeWorkGroupInvocations || attention_wg > l.maxComputeWorkGroupSize[0]) return;
    v.subgroups = true;
    v.subgroup_size = size;
    v.attention_mode = AttentionMode::Subgroup;
    v.attention_queries = attention_wg;
    // Keys per lane and step: the lanes together cover lanes x 4 keys per step. Larger tiles
    // unroll into shaders that lavapipe's LLVM takes minutes to compile (16 with head dim 64).
    v.attention_key_tile = 4;
}

KernelVariants choose_variants(const PhysicalDevice& device, const std::string& style, bool subgroups) {
    KernelVariants v = choose_style(device, style);
    if (const char* env = std::getenv("CLIPRT_VULKAN_SUBGROUPS"); env && *env) {
        const std::string value(env);
        if (value == "0" || value == "off") {
            subgroups = false;
        } else if (value != "1" && value != "on" && value != "auto") {
            fail("vulkan: CLIPRT_VULKAN_SUBGROUPS '", value, "' (expected 0, off, 1, on or auto)");
        }
    }
    if (subgroups) use_subgroups(v, device);
    return v;
}

std::string KernelVariants::describe() const {
    std::ostringstream out;
    switch (gemm_mode) {
        case GemmMode::Registers:
            out << "register-blocked gemm, " << gemm_tm << "x" << gemm_tn << " per invocation"
                << (texel_loads ? ", texel-buffer loads" : "");
            break;
        case GemmMode::Shared:
            out << "shared-memory gemm tiles " << gemm_tm * gemm_wg_m << "x" << gemm_tn * gemm_wg_n << "x" << gemm_bk;
            break;
    }
    if (subgroups) {
        out << (cpu_style ? "; no shared memory or barriers" : "") << "; subgroup reductions (subgroups of up to "
            << subgroup_size << "): " << (row_per_workgroup ? "a workgroup" : "a subgroup")
            << " per row, a subgroup per attention query";
    } else {
        out << (cpu_style ? "; no shared memory or barriers" : "; shared-memory attention and row reductions");
    }
    return out.str();
}

}  // namespace cliprt::vk
