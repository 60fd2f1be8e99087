// Everything one Vulkan backend owns, in construction order (destroyed in reverse). Buffers and
// programs hold a shared_ptr to it, so they may outlive the Backend object safely.
#pragma once

#include <memory>

#include "cliprt/vulkan_backend.h"
#include "vulkan/vulkan_memory.h"
#include "vulkan/vulkan_pipelines.h"
#include "vulkan/vulkan_transfer.h"
#include "vulkan/vulkan_variants.h"

namespace cliprt::vk {

struct Context {
    explicit Context(const VulkanOptions& options);

    std::unique_ptr<Instance> instance;
    PhysicalDevice physical;
    std::unique_ptr<Device> device;
    std::unique_ptr<Allocator> allocator;
    std::unique_ptr<Transfer> transfer;
    std::unique_ptr<PipelineRegistry> pipelines;
    KernelVariants variants;
    DType float_storage = DType::F32;
    uint64_t max_binding = 0;  // bytes one binding may cover: maxStorageBufferRange or less (VulkanOptions)
};

}  // namespace cliprt::vk
