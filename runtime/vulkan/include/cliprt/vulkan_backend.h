// The Vulkan backend: every op of graph.h as GLSL compute shaders (compiled to SPIR-V at build
// time), one command buffer and one submit per forward. Runs on any Vulkan 1.2 device, including
// Mesa's lavapipe on the CPU. Available when the library was built with CLIPRT_HAVE_VULKAN.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cliprt/backend.h"

namespace cliprt {

struct VulkanOptions {
    int device = -1;             // index in `cliprt info` order; -1: CLIPRT_VULKAN_DEVICE or the best device
    DType dtype = DType::F32;    // F16: f16 storage of activations and weights, f32 accumulation
    bool validation = false;     // Khronos validation layer; also on with CLIPRT_VULKAN_VALIDATION=1
    bool force_staging = false;  // copy through staging buffers even where device memory is mapped
    // "cpu" (register blocks, no shared memory, texel-buffer loads), "registers" (cpu with
    // storage-buffer loads only), "gpu" (shared-memory tiles) or "auto" (by device type)
    std::string kernels = "auto";
    // Subgroup arithmetic in the row reductions (layer norm, softmax, l2 normalize) and attention
    // where the device has it in compute shaders (the default); false, or CLIPRT_VULKAN_SUBGROUPS=0,
    // keeps the shared-memory (gpu style) and per-invocation (cpu style) reductions.
    bool subgroups = true;
    std::optional<std::string> pipeline_cache;  // cache file; unset: the default path; "": none
    // The most bytes one shader binding may cover; 0: the device's maxStorageBufferRange. Tensors
    // past it are bound in pieces (an embedding table by vocabulary rows, a linear's weight by output
    // features and its activations by rows); a smaller value exercises those paths in tests.
    uint64_t max_binding_bytes = 0;
};

// The pipelines a backend has created so far and the pipeline cache they came through (start-up
// cost: `cliprt bench` reports it through startup_stats() of cliprt/backends.h).
struct VulkanPipelineStats {
    int pipelines = 0;
    double seconds = 0;        // wall time spent in vkCreateComputePipelines
    std::string cache;         // "cold" (nothing loaded), "warm" (loaded from its file), "off" (no file)
    std::string cache_detail;  // what happened to the file at start, and its path
    int cache_hits = -1;       // pipelines the driver reported as found in the cache; -1: not reported
};

class VulkanBackend : public Backend {
public:
    // Warnings and errors reported by the validation layer since creation (or the last clear).
    virtual std::vector<std::string> validation_messages() const = 0;
    virtual void clear_validation_messages() = 0;
    virtual bool validation_enabled() const = 0;
    // Pipelines created so far, and what happened to the on-disk pipeline cache.
    virtual size_t pipeline_count() const = 0;
    virtual std::string pipeline_cache_status() const = 0;
    virtual VulkanPipelineStats pipeline_stats() const = 0;
};

// Throws Error with a readable reason when there is no loader, no device or a missing feature.
std::unique_ptr<VulkanBackend> make_vulkan_backend(const VulkanOptions& options = {});

// Every Vulkan device with its facts for `cliprt info`; throws Error when Vulkan is unavailable.
std::vector<DeviceInfo> vulkan_devices();

}  // namespace cliprt
