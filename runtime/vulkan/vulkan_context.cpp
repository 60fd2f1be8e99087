#include "vulkan/vulkan_context.h"

#include <algorithm>

#include "cliprt/error.h"

namespace cliprt::vk {

Context::Context(const VulkanOptions& options) {
    if (options.dtype != DType::F32 && options.dtype != DType::F16)
        fail("the vulkan backend stores floats as f32 or f16, not ", dtype_name(options.dtype));
    instance = std::make_unique<Instance>(options.validation || env_flag("CLIPRT_VULKAN_VALIDATION"));
    physical = choose_physical_device(enumerate_physical_devices(*instance), options.device);
    const bool f16 = options.dtype == DType::F16;
    if (f16 && !physical.storage_16bit) {
        fail("vulkan: device ", physical.properties.deviceName,
             " lacks storageBuffer16BitAccess, needed for --dtype f16 (use f32)");
    }
    device = std::make_unique<Device>(*instance, physical);
    allocator = std::make_unique<Allocator>(*device);
    transfer = std::make_unique<Transfer>(*device, *allocator, options.force_staging);
    pipelines = std::make_unique<PipelineRegistry>(
        *device, options.pipeline_cache.value_or(PipelineCache::default_path(physical)));
    variants = choose_variants(physical, options.kernels, options.subgroups);
    float_storage = options.dtype;
    max_binding = device->limits().maxStorageBufferRange;
    if (options.max_binding_bytes > 0) max_binding = std::min<uint64_t>(max_binding, options.max_binding_bytes);
}

}  // namespace cliprt::vk
