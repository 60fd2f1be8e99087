// The VkInstance: loader, optional Khronos validation layer and a debug messenger that keeps every
// warning and error the layer reports, so tests can fail on any of them.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "vulkan/vulkan_api.h"

namespace cliprt::vk {

// Validation messages (warnings and errors), appended by the debug callback from any thread.
class MessageLog {
public:
    void add(std::string message);
    std::vector<std::string> messages() const;
    void clear();

private:
    mutable std::mutex mutex_;
    std::vector<std::string> messages_;
};

class Instance {
public:
    // validation: enable VK_LAYER_KHRONOS_validation (with synchronization validation) and record
    // its messages; throws Error when the layer is not installed.
    explicit Instance(bool validation);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    const InstanceApi& api() const { return loader_.api(); }
    const Loader& loader() const { return loader_; }
    VkInstance handle() const { return instance_; }
    bool validation() const { return validation_; }
    MessageLog& messages() { return *log_; }
    const MessageLog& messages() const { return *log_; }

    std::vector<VkPhysicalDevice> physical_devices() const;

private:
    Loader loader_;
    VkInstance instance_ = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    bool validation_ = false;
    std::unique_ptr<MessageLog> log_;  // stable address for the callback
};

// True when the environment variable is set to something other than "", "0", "off" or "false".
bool env_flag(const char* name);

}  // namespace cliprt::vk
