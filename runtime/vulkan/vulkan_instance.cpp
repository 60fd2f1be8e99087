#include "vulkan/vulkan_instance.h"

#include <cstdlib>
#include <cstring>

#include "cliprt/error.h"

namespace cliprt::vk {

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

bool has_layer(const InstanceApi& api, const char* name) {
    uint32_t count = 0;
    api.vkEnumerateInstanceLayerProperties(&count, nullptr);
    std::vector<VkLayerProperties> layers(count);
    api.vkEnumerateInstanceLayerProperties(&count, layers.data());
    for (const auto& layer : layers) {
        if (std::strcmp(layer.layerName, name) == 0) return true;
    }
    return false;
}

bool has_extension(const InstanceApi& api, const char* layer, const char* name) {
    uint32_t count = 0;
    api.vkEnumerateInstanceExtensionProperties(layer, &count, nullptr);
    std::vector<VkExtensionProperties> extensions(count);
    api.vkEnumerateInstanceExtensionProperties(layer, &count, extensions.data());
    for (const auto& e : extensions) {
        if (std::strcmp(e.extensionName, name) == 0) return true;
    }
    return false;
}

VKAPI_ATTR VkBool32 VKAPI_CALL debug_callback(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                              VkDebugUtilsMessageTypeFlagsEXT,
                                              const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
    const char* level = severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? "error" : "warning";
    std::string text =
        std::string("vulkan validation ") + level + ": " + (data && data->pMessage ? data->pMessage : "");
    static_cast<MessageLog*>(user)->add(std::move(text));
    return VK_FALSE;  // never abort the call: the test reports the message
}

}  // namespace

void MessageLog::add(std::string message) {
    std::lock_guard<std::mutex> lock(mutex_);
    messages_.push_back(std::move(message));
}

std::vector<std::string> MessageLog::messages() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
}

void MessageLog::clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    messages_.clear();
}

bool env_flag(const char* name) {
    const char* value = std::getenv(name);
    if (!value) return false;
    const std::string v(value);
    return !(v.empty() || v == "0" || v == "off" || v == "false" || v == "OFF" || v == "FALSE");
}

Instance::Instance(bool validation) : validation_(validation), log_(std::make_unique<MessageLog>()) {
    const InstanceApi& api = loader_.api();
    uint32_t loader_version = VK_API_VERSION_1_0;
    if (api.vkEnumerateInstanceVersion) api.vkEnumerateInstanceVersion(&loader_version);
    if (loader_version < VK_API_VERSION_1_2) {
        fail("vulkan: the Vulkan loader supports version ", VK_API_VERSION_MAJOR(loader_version), ".",
             VK_API_VERSION_MINOR(loader_version), "; cliprt needs Vulkan 1.2");
    }

    std::vector<const char*> layers;
    std::vector<const char*> extensions;
    if (validation_) {
        if (!has_layer(api, kValidationLayer)) {
            fail("vulkan: validation was requested but ", kValidationLayer,
                 " is not installed (Debian package vulkan-validationlayers)");
        }
        layers.push_back(kValidationLayer);
        extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    }
    VkInstanceCreateFlags flags = 0;
    if (has_extension(api, nullptr, VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
        extensions.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);  // MoltenVK-style drivers
        flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
    }

    VkApplicationInfo app{};
    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = "cliprt";
    app.pEngineName = "cliprt";
    app.apiVersion = VK_API_VERSION_1_2;

    // Synchronization validation checks that the barriers between dispatches are enough.
    const VkValidationFeatureEnableEXT enables[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT features{};
    features.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT;
    features.enabledValidationFeatureCount = 1;
    features.pEnabledValidationFeatures = enables;

    VkDebugUtilsMessengerCreateInfoEXT messenger{};
    messenger.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
    messenger.messageSeverity =
        VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    messenger.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                            VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                            VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    messenger.pfnUserCallback = debug_callback;
    messenger.pUserData = log_.get();

    VkInstanceCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    info.flags = flags;
    info.pApplicationInfo = &app;
    info.enabledLayerCount = static_cast<uint32_t>(layers.size());
    info.ppEnabledLayerNames = layers.data();
    info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    info.ppEnabledExtensionNames = extensions.data();
    if (validation_) {
        // Messages of vkCreateInstance itself go to this messenger; the features enable sync checks.
        messenger.pNext = &features;
        info.pNext = &messenger;
    }
    const VkResult result = api.vkCreateInstance(&info, nullptr, &instance_);
    if (result == VK_ERROR_INCOMPATIBLE_DRIVER) fail("vulkan: no Vulkan driver (ICD) is installed");
    check(result, "vkCreateInstance");
    loader_.load_instance(instance_, validation_);
    if (validation_) {
        messenger.pNext = nullptr;
        check(loader_.api().vkCreateDebugUtilsMessengerEXT(instance_, &messenger, nullptr, &messenger_),
              "vkCreateDebugUtilsMessengerEXT");
    }
}

Instance::~Instance() {
    const InstanceApi& api = loader_.api();
    if (messenger_) api.vkDestroyDebugUtilsMessengerEXT(instance_, messenger_, nullptr);
    if (instance_) api.vkDestroyInstance(instance_, nullptr);
}

std::vector<VkPhysicalDevice> Instance::physical_devices() const {
    uint32_t count = 0;
    check(api().vkEnumeratePhysicalDevices(instance_, &count, nullptr), "vkEnumeratePhysicalDevices");
    std::vector<VkPhysicalDevice> devices(count);
    check(api().vkEnumeratePhysicalDevices(instance_, &count, devices.data()), "vkEnumeratePhysicalDevices");
    devices.resize(count);
    return devices;
}

}  // namespace cliprt::vk
