#include "vulkan/vulkan_physical_device.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

#include "cliprt/error.h"

namespace cliprt::vk {

namespace {

// Higher is preferred.
int type_rank(VkPhysicalDeviceType type) {
    switch (type) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
            return 4;
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
            return 3;
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
            return 2;
        case VK_PHYSICAL_DEVICE_TYPE_CPU:
            return 1;
        default:
            return 0;
    }
}

std::string version_string(uint32_t v) {
    std::ostringstream out;
    out << VK_API_VERSION_MAJOR(v) << "." << VK_API_VERSION_MINOR(v) << "." << VK_API_VERSION_PATCH(v);
    return out.str();
}

std::string mib(uint64_t bytes) { return std::to_string(bytes / (1024 * 1024)) + " MiB"; }

bool has_device_extension(const InstanceApi& api, VkPhysicalDevice handle, const char* name) {
    uint32_t count = 0;
    if (api.vkEnumerateDeviceExtensionProperties(handle, nullptr, &count, nullptr) != VK_SUCCESS) return false;
    std::vector<VkExtensionProperties> extensions(count);
    if (api.vkEnumerateDeviceExtensionProperties(handle, nullptr, &count, extensions.data()) != VK_SUCCESS)
        return false;
    for (uint32_t i = 0; i < count; ++i) {
        if (std::strcmp(extensions[i].extensionName, name) == 0) return true;
    }
    return false;
}

}  // namespace

const char* PhysicalDevice::type_name() const {
    switch (properties.deviceType) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
            return "discrete-gpu";
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
            return "integrated-gpu";
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
            return "virtual-gpu";
        case VK_PHYSICAL_DEVICE_TYPE_CPU:
            return "cpu";
        default:
            return "other";
    }
}

uint64_t PhysicalDevice::device_local_bytes() const {
    uint64_t total = 0;
    for (uint32_t i = 0; i < memory.memoryHeapCount; ++i) {
        if (memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) total += memory.memoryHeaps[i].size;
    }
    return total;
}

VkFormat PhysicalDevice::texel_format(DType dtype, bool vec4) {
    if (dtype == DType::F16) return vec4 ? VK_FORMAT_R16G16B16A16_SFLOAT : VK_FORMAT_R16_SFLOAT;
    return vec4 ? VK_FORMAT_R32G32B32A32_SFLOAT : VK_FORMAT_R32_SFLOAT;
}

bool PhysicalDevice::subgroup_arithmetic() const {
    const VkSubgroupFeatureFlags need = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
    return (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) && (subgroup.supportedOperations & need) == need &&
           subgroup.subgroupSize > 0;
}

std::optional<std::string> PhysicalDevice::unusable_reason() const {
    if (properties.apiVersion < VK_API_VERSION_1_2)
        return "supports Vulkan " + version_string(properties.apiVersion) + ", cliprt needs 1.2";
    if (compute_queue_family < 0) return std::string("has no compute queue");
    if (properties.limits.maxPushConstantsSize < 128)
        return std::string("allows fewer than 128 bytes of push constants");
    return std::nullopt;
}

std::vector<PhysicalDevice> enumerate_physical_devices(const Instance& instance) {
    const InstanceApi& api = instance.api();
    std::vector<PhysicalDevice> out;
    int index = 0;
    for (VkPhysicalDevice handle : instance.physical_devices()) {
        PhysicalDevice d;
        d.handle = handle;
        d.index = index++;
        api.vkGetPhysicalDeviceProperties(handle, &d.properties);
        if (d.properties.apiVersion >= VK_API_VERSION_1_2) {
            d.driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
            d.subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
            d.maintenance3.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES;
            d.driver.pNext = &d.subgroup;
            d.subgroup.pNext = &d.maintenance3;
            VkPhysicalDeviceSubgroupSizeControlPropertiesEXT size_control{};
            size_control.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES_EXT;
            if (has_device_extension(api, handle, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME))
                d.maintenance3.pNext = &size_control;
            VkPhysicalDeviceProperties2 props2{};
            props2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
            props2.pNext = &d.driver;
            api.vkGetPhysicalDeviceProperties2(handle, &props2);
            d.driver.pNext = d.subgroup.pNext = d.maintenance3.pNext = nullptr;
            d.max_subgroup_size = std::max(d.subgroup.subgroupSize, size_control.maxSubgroupSize);
            d.creation_feedback = has_device_extension(api, handle, VK_EXT_PIPELINE_CREATION_FEEDBACK_EXTENSION_NAME);

            VkPhysicalDeviceVulkan11Features f11{};
            f11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES;
            VkPhysicalDeviceVulkan12Features f12{};
            f12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
            f11.pNext = &f12;
            VkPhysicalDeviceFeatures2 features{};
            features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
            features.pNext = &f11;
            api.vkGetPhysicalDeviceFeatures2(handle, &features);
            d.storage_16bit = f11.storageBuffer16BitAccess == VK_TRUE;
            d.float16 = f12.shaderFloat16 == VK_TRUE;
        }
        api.vkGetPhysicalDeviceMemoryProperties(handle, &d.memory);
        d.texel_views = true;
        for (DType dtype : {DType::F32, DType::F16}) {
            for (bool vec4 : {false, true}) {
                VkFormatProperties format{};
                api.vkGetPhysicalDeviceFormatProperties(handle, PhysicalDevice::texel_format(dtype, vec4), &format);
                d.texel_views = d.texel_views && (format.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT);
            }
        }
        uint32_t families = 0;
        api.vkGetPhysicalDeviceQueueFamilyProperties(handle, &families, nullptr);
        std::vector<VkQueueFamilyProperties> props(families);
        api.vkGetPhysicalDeviceQueueFamilyProperties(handle, &families, props.data());
        // Prefer a compute-only family (async compute on GPUs); any compute family will do.
        for (uint32_t f = 0; f < families; ++f) {
            const bool compute = props[f].queueFlags & VK_QUEUE_COMPUTE_BIT;
            const bool graphics = props[f].queueFlags & VK_QUEUE_GRAPHICS_BIT;
            if (compute && (d.compute_queue_family < 0 || !graphics)) d.compute_queue_family = static_cast<int>(f);
            if (compute && !graphics) break;
        }
        if (d.compute_queue_family >= 0)
            d.queue_timestamp_bits = props[static_cast<size_t>(d.compute_queue_family)].timestampValidBits;
        out.push_back(d);
    }
    return out;
}

const PhysicalDevice& choose_physical_device(const std::vector<PhysicalDevice>& devices, int requested) {
    if (devices.empty()) fail("vulkan: no Vulkan device found (is a driver such as mesa-vulkan-drivers installed?)");
    std::string source = "--device";
    if (requested < 0) {
        if (const char* env = std::getenv("CLIPRT_VULKAN_DEVICE"); env && *env) {
            char* end = nullptr;
            const long value = std::strtol(env, &end, 10);
            if (*end != '\0' || value < 0) fail("vulkan: CLIPRT_VULKAN_DEVICE='", env, "' is not a device index");
            requested = static_cast<int>(value);
            source = "CLIPRT_VULKAN_DEVICE";
        }
    }
    if (requested >= 0) {
        if (requested >= static_cast<int>(devices.size()))
            fail("vulkan: ", source, " ", requested, " is out of range (", devices.size(), " device(s))");
        const PhysicalDevice& d = devices[static_cast<size_t>(requested)];
        if (auto why = d.unusable_reason())
            fail("vulkan: device ", requested, " (", d.properties.deviceName, ") ", *why);
        return d;
    }
    const PhysicalDevice* best = nullptr;
    std::string reasons;
    for (const PhysicalDevice& d : devices) {
        if (auto why = d.unusable_reason()) {
            reasons += std::string(reasons.empty() ? "" : "; ") + d.properties.deviceName + " " + *why;
            continue;
        }
        if (!best || type_rank(d.properties.deviceType) > type_rank(best->properties.deviceType)) best = &d;
    }
    if (!best) fail("vulkan: no usable Vulkan device: ", reasons);
    return *best;
}

DeviceInfo describe(const PhysicalDevice& d) {
    DeviceInfo info;
    info.backend = "vulkan";
    info.name = d.properties.deviceName;
    info.type = d.type_name();
    info.driver = d.driver.driverName[0] ? std::string(d.driver.driverName) + " " + d.driver.driverInfo
                                         : "driver " + std::to_string(d.properties.driverVersion);
    info.memory_bytes = d.device_local_bytes();
    info.fp16 = d.supports_f16();
    const VkPhysicalDeviceLimits& l = d.properties.limits;
    auto& x = info.details;
    x.emplace_back("index", std::to_string(d.index));
    x.emplace_back("vulkan", version_string(d.properties.apiVersion));
    std::ostringstream ids;
    ids << std::hex << "0x" << d.properties.vendorID << ":0x" << d.properties.deviceID;
    x.emplace_back("vendor:device", ids.str());
    x.emplace_back("subgroup size", std::to_string(d.subgroup.subgroupSize) +
                                        (d.max_subgroup_size != d.subgroup.subgroupSize
                                             ? " (up to " + std::to_string(d.max_subgroup_size) + ")"
                                             : std::string()));
    x.emplace_back("subgroup arithmetic", d.subgroup_arithmetic() ? "yes" : "no");
    x.emplace_back("shared memory", std::to_string(l.maxComputeSharedMemorySize / 1024) + " KiB");
    x.emplace_back("max workgroup invocations", std::to_string(l.maxComputeWorkGroupInvocations));
    x.emplace_back("max storage buffer range", mib(l.maxStorageBufferRange));
    x.emplace_back("max allocation", mib(d.maintenance3.maxMemoryAllocationSize));
    x.emplace_back("storage buffer 16-bit", d.storage_16bit ? "yes" : "no");
    x.emplace_back("shader float16", d.float16 ? "yes" : "no");
    if (auto why = d.unusable_reason()) x.emplace_back("unusable", *why);
    return info;
}

}  // namespace cliprt::vk
