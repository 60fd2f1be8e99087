// The Vulkan entry points cliprt uses, loaded at run time from the system's loader
// (libvulkan.so.1) so a machine without Vulkan still runs the CPU backend and gets a clear message
// instead of a binary that fails to start.
#pragma once

#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan.h>

#include <memory>
#include <string>

namespace cliprt::vk {

#define CLIPRT_VK_GLOBAL_FUNCTIONS(X)     \
    X(vkCreateInstance)                   \
    X(vkEnumerateInstanceVersion)         \
    X(vkEnumerateInstanceLayerProperties) \
    X(vkEnumerateInstanceExtensionProperties)

#define CLIPRT_VK_INSTANCE_FUNCTIONS(X)         \
    X(vkDestroyInstance)                        \
    X(vkEnumeratePhysicalDevices)               \
    X(vkGetPhysicalDeviceProperties)            \
    X(vkGetPhysicalDeviceProperties2)           \
    X(vkGetPhysicalDeviceFeatures2)             \
    X(vkGetPhysicalDeviceMemoryProperties)      \
    X(vkGetPhysicalDeviceFormatProperties)      \
    X(vkGetPhysicalDeviceQueueFamilyProperties) \
    X(vkEnumerateDeviceExtensionProperties)     \
    X(vkCreateDevice)                           \
    X(vkGetDeviceProcAddr)

// Only present when VK_EXT_debug_utils is enabled.
#define CLIPRT_VK_DEBUG_FUNCTIONS(X)  \
    X(vkCreateDebugUtilsMessengerEXT) \
    X(vkDestroyDebugUtilsMessengerEXT)

#define CLIPRT_VK_DEVICE_FUNCTIONS(X) \
    X(vkDestroyDevice)                \
    X(vkGetDeviceQueue)               \
    X(vkDeviceWaitIdle)               \
    X(vkQueueSubmit)                  \
    X(vkAllocateMemory)               \
    X(vkFreeMemory)                   \
    X(vkMapMemory)                    \
    X(vkUnmapMemory)                  \
    X(vkInvalidateMappedMemoryRanges) \
    X(vkFlushMappedMemoryRanges)      \
    X(vkCreateBuffer)                 \
    X(vkDestroyBuffer)                \
    X(vkCreateBufferView)             \
    X(vkDestroyBufferView)            \
    X(vkGetBufferMemoryRequirements)  \
    X(vkBindBufferMemory)             \
    X(vkCreateFence)                  \
    X(vkDestroyFence)                 \
    X(vkResetFences)                  \
    X(vkWaitForFences)                \
    X(vkCreateCommandPool)            \
    X(vkDestroyCommandPool)           \
    X(vkAllocateCommandBuffers)       \
    X(vkFreeCommandBuffers)           \
    X(vkBeginCommandBuffer)           \
    X(vkEndCommandBuffer)             \
    X(vkCreateShaderModule)           \
    X(vkDestroyShaderModule)          \
    X(vkCreatePipelineCache)          \
    X(vkDestroyPipelineCache)         \
    X(vkGetPipelineCacheData)         \
    X(vkCreateComputePipelines)       \
    X(vkDestroyPipeline)              \
    X(vkCreatePipelineLayout)         \
    X(vkDestroyPipelineLayout)        \
    X(vkCreateDescriptorSetLayout)    \
    X(vkDestroyDescriptorSetLayout)   \
    X(vkCreateDescriptorPool)         \
    X(vkDestroyDescriptorPool)        \
    X(vkAllocateDescriptorSets)       \
    X(vkUpdateDescriptorSets)         \
    X(vkCmdBindPipeline)              \
    X(vkCmdBindDescriptorSets)        \
    X(vkCmdPushConstants)             \
    X(vkCmdDispatch)                  \
    X(vkCmdPipelineBarrier)           \
    X(vkCmdCopyBuffer)                \
    X(vkCmdFillBuffer)                \
    X(vkCreateQueryPool)              \
    X(vkDestroyQueryPool)             \
    X(vkCmdResetQueryPool)            \
    X(vkCmdWriteTimestamp)            \
    X(vkGetQueryPoolResults)

#define CLIPRT_VK_DECLARE(name) PFN_##name name = nullptr;

// Loader-level and instance-level entry points.
struct InstanceApi {
    CLIPRT_VK_GLOBAL_FUNCTIONS(CLIPRT_VK_DECLARE)
    CLIPRT_VK_INSTANCE_FUNCTIONS(CLIPRT_VK_DECLARE)
    CLIPRT_VK_DEBUG_FUNCTIONS(CLIPRT_VK_DECLARE)
    PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
};

// Device-level entry points, resolved through vkGetDeviceProcAddr (no loader trampoline).
struct DeviceApi {
    CLIPRT_VK_DEVICE_FUNCTIONS(CLIPRT_VK_DECLARE)
};

#undef CLIPRT_VK_DECLARE

// The dlopen'ed loader library; closes it when destroyed.
class Loader {
public:
    // Throws Error naming the library when the Vulkan loader is not installed.
    Loader();
    ~Loader();
    Loader(const Loader&) = delete;
    Loader& operator=(const Loader&) = delete;

    // Global functions filled in; instance functions stay null until load_instance().
    const InstanceApi& api() const { return api_; }
    void load_instance(VkInstance instance, bool debug_utils);
    DeviceApi load_device(VkDevice device) const;

private:
    void* library_ = nullptr;
    InstanceApi api_;
};

// "VK_ERROR_OUT_OF_DEVICE_MEMORY" and friends, for error messages.
const char* result_name(VkResult result);
// Throws Error("vulkan: <what> failed: <result>") unless result is VK_SUCCESS.
void check(VkResult result, const char* what);

}  // namespace cliprt::vk
