// The logical device: one compute queue, a command pool, and one-shot submissions for transfers.
#pragma once

#include <functional>

#include "vulkan/vulkan_physical_device.h"

namespace cliprt::vk {

class Device {
public:
    // Enables storageBuffer16BitAccess and shaderFloat16 where the device has them.
    Device(const Instance& instance, const PhysicalDevice& physical);
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    const DeviceApi& api() const { return api_; }
    VkDevice handle() const { return device_; }
    VkQueue queue() const { return queue_; }
    VkCommandPool command_pool() const { return pool_; }
    const PhysicalDevice& physical() const { return physical_; }
    const VkPhysicalDeviceLimits& limits() const { return physical_.properties.limits; }

    // Records commands into a fresh command buffer, submits it and waits.
    void submit_and_wait(const std::function<void(VkCommandBuffer)>& record) const;

private:
    PhysicalDevice physical_;
    DeviceApi api_{};
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
};

// A fence wait that turns a lost device or timeout into an Error naming `what`.
void wait_fence(const DeviceApi& api, VkDevice device, VkFence fence, const char* what);

}  // namespace cliprt::vk
