// Shared by the Vulkan test suites: backends with the Khronos validation layer on (one per storage
// dtype and kernel style, created once: an instance with the layer costs a fraction of a second),
// skipping with the reason when this machine has no usable Vulkan device, and failing a test on any
// validation warning or error.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "cliprt/error.h"
#include "cliprt/vulkan_backend.h"

namespace cliprt::vulkan_test {

struct Shared {
    std::unique_ptr<VulkanBackend> backend;
    std::string unavailable;  // why there is no backend
};

inline std::map<std::pair<DType, std::string>, Shared>& shared_backends() {
    static std::map<std::pair<DType, std::string>, Shared> backends;
    return backends;
}

// Destroys the shared backends before exit: the validation layer's own static state is gone by
// the time static destructors of this binary would run.
class SharedBackendsEnvironment : public ::testing::Environment {
public:
    void TearDown() override { shared_backends().clear(); }
};
inline ::testing::Environment* const shared_backends_environment =
    ::testing::AddGlobalTestEnvironment(new SharedBackendsEnvironment);

// kernels: a kernel style ("cpu", "registers", "gpu", "auto"; each runs on any device), with
// "-no-subgroups" appended to turn the subgroup reductions off (VulkanOptions::subgroups).
inline VulkanBackend* shared_backend(DType dtype, const std::string& kernels, std::string* why) {
    auto [it, inserted] = shared_backends().try_emplace({dtype, kernels});
    if (inserted) {
        try {
            const std::string suffix = "-no-subgroups";
            const bool no_subgroups = kernels.size() > suffix.size() &&
                                      kernels.compare(kernels.size() - suffix.size(), suffix.size(), suffix) == 0;
            VulkanOptions options;
            options.dtype = dtype;
            options.kernels = no_subgroups ? kernels.substr(0, kernels.size() - suffix.size()) : kernels;
            options.subgroups = !no_subgroups;
            options.validation = true;
            options.pipeline_cache = "";  // tests never touch the user's cache
            it->second.backend = make_vulkan_backend(options);
        } catch (const Error& e) {
            it->second.unavailable = e.what();
        }
    }
    *why = it->second.unavailable;
    return it->second.backend.get();
}

// Set by the ctest entry: a machine meant to run the Vulkan tests must not skip them.
inline bool vulkan_required() {
    const char* value = std::getenv("CLIPRT_REQUIRE_VULKAN");
    return value && std::string(value) == "1";
}

// Fails the current test on any validation message since the last call, then clears them.
inline void expect_no_validation_messages(VulkanBackend& backend) {
    for (const std::string& message : backend.validation_messages()) ADD_FAILURE() << message;
    backend.clear_validation_messages();
}

}  // namespace cliprt::vulkan_test

// Ends the test: skipped with the reason, or failed where CLIPRT_REQUIRE_VULKAN=1.
#define CLIPRT_VULKAN_UNAVAILABLE(why)                                         \
    do {                                                                       \
        if (::cliprt::vulkan_test::vulkan_required())                          \
            FAIL() << "no Vulkan device (CLIPRT_REQUIRE_VULKAN=1): " << (why); \
        GTEST_SKIP() << "no Vulkan device: " << (why);                         \
    } while (0)

// In a test body: `VulkanBackend* backend` for (dtype, kernels), or skip with the reason.
#define CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, dtype, kernels)                                                     \
    std::string cliprt_vulkan_why_;                                                                                \
    ::cliprt::VulkanBackend* backend = ::cliprt::vulkan_test::shared_backend(dtype, kernels, &cliprt_vulkan_why_); \
    if (!backend) CLIPRT_VULKAN_UNAVAILABLE(cliprt_vulkan_why_);                                                   \
    backend->clear_validation_messages()
