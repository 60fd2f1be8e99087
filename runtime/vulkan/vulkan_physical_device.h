// What cliprt needs to know about a physical device, and which one to use: discrete > integrated >
// virtual > CPU, unless `--device N` (BackendOptions.device) or CLIPRT_VULKAN_DEVICE says otherwise.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cliprt/backend.h"
#include "vulkan/vulkan_instance.h"

namespace cliprt::vk {

struct PhysicalDevice {
    VkPhysicalDevice handle = VK_NULL_HANDLE;
    int index = 0;  // position in vkEnumeratePhysicalDevices order: what --device N means
    VkPhysicalDeviceProperties properties{};
    VkPhysicalDeviceDriverProperties driver{};
    VkPhysicalDeviceSubgroupProperties subgroup{};
    // The largest subgroup a compute shader may run with: maxSubgroupSize of
    // VK_EXT_subgroup_size_control where the device has it (Intel and AMD vary the size per
    // pipeline), else subgroup.subgroupSize.
    uint32_t max_subgroup_size = 0;
    VkPhysicalDeviceMaintenance3Properties maintenance3{};
    VkPhysicalDeviceMemoryProperties memory{};
    bool storage_16bit = false;      // storageBuffer16BitAccess
    bool float16 = false;            // shaderFloat16
    bool texel_views = false;        // uniform texel buffers of R32, RGBA32, R16 and RGBA16 floats
    bool creation_feedback = false;  // VK_EXT_pipeline_creation_feedback: whether a pipeline came from the cache
    int compute_queue_family = -1;
    uint32_t queue_timestamp_bits = 0;  // timestampValidBits of that family (0: no timestamps)

    const char* type_name() const;
    bool is_cpu() const { return properties.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU; }
    bool supports_f16() const { return storage_16bit && float16; }
    // subgroupAdd / subgroupMax / subgroupExclusiveAdd in compute shaders (the "subgroup" variants).
    bool subgroup_arithmetic() const;
    // The view format of float data stored as `dtype` (F32 or F16), one or four per texel.
    static VkFormat texel_format(DType dtype, bool vec4);
    uint64_t device_local_bytes() const;  // sum of device-local heaps
    // Empty if cliprt can run on this device; otherwise why not.
    std::optional<std::string> unusable_reason() const;
};

std::vector<PhysicalDevice> enumerate_physical_devices(const Instance& instance);

// requested: a device index or -1; -1 consults CLIPRT_VULKAN_DEVICE, then picks the best usable
// device. Throws Error naming the devices when none (or not the requested one) can be used.
const PhysicalDevice& choose_physical_device(const std::vector<PhysicalDevice>& devices, int requested);

// For `cliprt info`: type, driver, memory, subgroup size, shared memory, fp16 and limits.
DeviceInfo describe(const PhysicalDevice& device);

}  // namespace cliprt::vk
