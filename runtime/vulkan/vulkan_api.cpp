#include "vulkan/vulkan_api.h"

#include <dlfcn.h>

#include "cliprt/error.h"

namespace cliprt::vk {

namespace {

template <typename T>
void resolve(T& fn, PFN_vkGetInstanceProcAddr gipa, VkInstance instance, const char* name) {
    fn = reinterpret_cast<T>(gipa(instance, name));
}

}  // namespace

Loader::Loader() {
    for (const char* name : {"libvulkan.so.1", "libvulkan.so"}) {
        library_ = dlopen(name, RTLD_NOW | RTLD_LOCAL);
        if (library_) break;
    }
    if (!library_) fail("vulkan: the Vulkan loader (libvulkan.so.1) is not installed");
    api_.vkGetInstanceProcAddr = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(library_, "vkGetInstanceProcAddr"));
    if (!api_.vkGetInstanceProcAddr) fail("vulkan: libvulkan.so.1 has no vkGetInstanceProcAddr");
#define CLIPRT_VK_LOAD(name) resolve(api_.name, api_.vkGetInstanceProcAddr, VK_NULL_HANDLE, #name);
    CLIPRT_VK_GLOBAL_FUNCTIONS(CLIPRT_VK_LOAD)
#undef CLIPRT_VK_LOAD
    if (!api_.vkCreateInstance) fail("vulkan: the loader does not export vkCreateInstance");
}

Loader::~Loader() {
    if (library_) dlclose(library_);
}

void Loader::load_instance(VkInstance instance, bool debug_utils) {
#define CLIPRT_VK_LOAD(name)                                         \
    resolve(api_.name, api_.vkGetInstanceProcAddr, instance, #name); \
    if (!api_.name) fail("vulkan: the loader does not provide " #name);
    CLIPRT_VK_INSTANCE_FUNCTIONS(CLIPRT_VK_LOAD)
    if (debug_utils) {
        CLIPRT_VK_DEBUG_FUNCTIONS(CLIPRT_VK_LOAD)
    }
#undef CLIPRT_VK_LOAD
}

DeviceApi Loader::load_device(VkDevice device) const {
    DeviceApi d;
#define CLIPRT_VK_LOAD(name)                                                        \
    d.name = reinterpret_cast<PFN_##name>(api_.vkGetDeviceProcAddr(device, #name)); \
    if (!d.name) fail("vulkan: the driver does not provide " #name);
    CLIPRT_VK_DEVICE_FUNCTIONS(CLIPRT_VK_LOAD)
#undef CLIPRT_VK_LOAD
    return d;
}

const char* result_name(VkResult result) {
    switch (result) {
        case VK_SUCCESS:
            return "VK_SUCCESS";
        case VK_NOT_READY:
            return "VK_NOT_READY";
        case VK_TIMEOUT:
            return "VK_TIMEOUT";
        case VK_INCOMPLETE:
            return "VK_INCOMPLETE";
        case VK_ERROR_OUT_OF_HOST_MEMORY:
            return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY:
            return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_INITIALIZATION_FAILED:
            return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_DEVICE_LOST:
            return "VK_ERROR_DEVICE_LOST";
        case VK_ERROR_MEMORY_MAP_FAILED:
            return "VK_ERROR_MEMORY_MAP_FAILED";
        case VK_ERROR_LAYER_NOT_PRESENT:
            return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT:
            return "VK_ERROR_EXTENSION_NOT_PRESENT";
        case VK_ERROR_FEATURE_NOT_PRESENT:
            return "VK_ERROR_FEATURE_NOT_PRESENT";
        case VK_ERROR_INCOMPATIBLE_DRIVER:
            return "VK_ERROR_INCOMPATIBLE_DRIVER";
        case VK_ERROR_TOO_MANY_OBJECTS:
            return "VK_ERROR_TOO_MANY_OBJECTS";
        case VK_ERROR_FORMAT_NOT_SUPPORTED:
            return "VK_ERROR_FORMAT_NOT_SUPPORTED";
        case VK_ERROR_FRAGMENTED_POOL:
            return "VK_ERROR_FRAGMENTED_POOL";
        case VK_ERROR_OUT_OF_POOL_MEMORY:
            return "VK_ERROR_OUT_OF_POOL_MEMORY";
        case VK_ERROR_INVALID_SHADER_NV:
            return "VK_ERROR_INVALID_SHADER_NV";
        default:
            return "VkResult(unknown)";
    }
}

void check(VkResult result, const char* what) {
    if (result != VK_SUCCESS)
        fail("vulkan: ", what, " failed: ", result_name(result), " (", static_cast<int>(result), ")");
}

}  // namespace cliprt::vk
