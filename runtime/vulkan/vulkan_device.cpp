#include "vulkan/vulkan_device.h"

#include <vector>

#include "cliprt/error.h"

namespace cliprt::vk {

Device::Device(const Instance& instance, const PhysicalDevice& physical) : physical_(physical) {
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_info{};
    queue_info.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
    queue_info.queueFamilyIndex = static_cast<uint32_t>(physical.compute_queue_family);
    queue_info.queueCount = 1;
    queue_info.pQueuePriorities = &priority;

    // f16 shaders (which only need 16-bit storage: they compute in f32) are created only when the
    // backend runs in f16; enabling the features whenever the device has them costs nothing.
    VkPhysicalDeviceVulkan11Features f11{};
    f11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES;
    f11.storageBuffer16BitAccess = physical.storage_16bit ? VK_TRUE : VK_FALSE;
    VkPhysicalDeviceVulkan12Features f12{};
    f12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
    f12.shaderFloat16 = physical.float16 ? VK_TRUE : VK_FALSE;
    f11.pNext = &f12;
    VkPhysicalDeviceFeatures2 features{};
    features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    features.pNext = &f11;

    // Pipeline creation feedback (whether a pipeline came from the pipeline cache) where the driver has it.
    std::vector<const char*> extensions;
    if (physical.creation_feedback) extensions.push_back(VK_EXT_PIPELINE_CREATION_FEEDBACK_EXTENSION_NAME);

    VkDeviceCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
    info.pNext = &features;
    info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    info.ppEnabledExtensionNames = extensions.data();
    info.queueCreateInfoCount = 1;
    info.pQueueCreateInfos = &queue_info;
    check(instance.api().vkCreateDevice(physical.handle, &info, nullptr, &device_), "vkCreateDevice");
    api_ = instance.loader().load_device(device_);
    api_.vkGetDeviceQueue(device_, queue_info.queueFamilyIndex, 0, &queue_);

    VkCommandPoolCreateInfo pool_info{};
    pool_info.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = queue_info.queueFamilyIndex;
    check(api_.vkCreateCommandPool(device_, &pool_info, nullptr, &pool_), "vkCreateCommandPool");
    VkFenceCreateInfo fence_info{};
    fence_info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    check(api_.vkCreateFence(device_, &fence_info, nullptr, &fence_), "vkCreateFence");
}

Device::~Device() {
    if (!device_) return;
    api_.vkDeviceWaitIdle(device_);
    if (fence_) api_.vkDestroyFence(device_, fence_, nullptr);
    if (pool_) api_.vkDestroyCommandPool(device_, pool_, nullptr);
    api_.vkDestroyDevice(device_, nullptr);
}

void Device::submit_and_wait(const std::function<void(VkCommandBuffer)>& record) const {
    VkCommandBufferAllocateInfo alloc{};
    alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    alloc.commandPool = pool_;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    check(api_.vkAllocateCommandBuffers(device_, &alloc, &cmd), "vkAllocateCommandBuffers");
    struct Release {
        const Device& d;
        VkCommandBuffer cmd;
        ~Release() { d.api_.vkFreeCommandBuffers(d.device_, d.pool_, 1, &cmd); }
    } release{*this, cmd};
    VkCommandBufferBeginInfo begin{};
    begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    check(api_.vkBeginCommandBuffer(cmd, &begin), "vkBeginCommandBuffer");
    record(cmd);
    check(api_.vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
    VkSubmitInfo submit{};
    submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    check(api_.vkQueueSubmit(queue_, 1, &submit, fence_), "vkQueueSubmit");
    wait_fence(api_, device_, fence_, "transfer");
}

void wait_fence(const DeviceApi& api, VkDevice device, VkFence fence, const char* what) {
    const VkResult result = api.vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX);
    if (result == VK_ERROR_DEVICE_LOST) fail("vulkan: the device was lost while running ", what);
    check(result, "vkWaitForFences");
    check(api.vkResetFences(device, 1, &fence), "vkResetFences");
}

}  // namespace cliprt::vk
