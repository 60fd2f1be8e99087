// Compute pipelines, created lazily on first use and kept in a registry keyed by (shader variant,
// specialization constants). Every shader uses descriptor set 0 with storage buffers or uniform
// texel buffers at bindings 0..n-1 and up to kPushConstantBytes of push constants, so layouts are
// shared by the list of descriptor types.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vulkan/vulkan_pipeline_cache.h"
#include "vulkan/vulkan_shaders.h"

namespace cliprt::vk {

constexpr uint32_t kPushConstantBytes = 128;  // the minimum every device guarantees

struct PipelineKey {
    const SpirvModule* shader = nullptr;  // an entry of the embedded table (spirv_module())
    std::vector<uint32_t> spec;           // values of constant_id 0, 1, ... (0..2 are the local size)
    bool operator<(const PipelineKey& other) const {
        return shader != other.shader ? std::less<const SpirvModule*>()(shader, other.shader) : spec < other.spec;
    }
};

struct Pipeline {
    VkPipeline pipeline = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
    std::vector<VkDescriptorType> bindings;  // the type of each binding
};

class PipelineRegistry {
public:
    PipelineRegistry(const Device& device, std::string cache_path);
    ~PipelineRegistry();
    PipelineRegistry(const PipelineRegistry&) = delete;
    PipelineRegistry& operator=(const PipelineRegistry&) = delete;

    const Pipeline& get(const PipelineKey& key);
    size_t size() const { return pipelines_.size(); }
    PipelineCache& cache() { return cache_; }
    // Wall time spent in vkCreateComputePipelines so far (start-up cost: `cliprt bench`), and how
    // many pipelines the driver reported as found in the pipeline cache (-1: the driver has no
    // VK_EXT_pipeline_creation_feedback).
    double creation_seconds() const { return creation_seconds_; }
    int cache_hits() const { return cache_hits_; }

private:
    struct Layout {
        VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
        VkPipelineLayout layout = VK_NULL_HANDLE;
    };
    const Layout& layout(const std::vector<VkDescriptorType>& bindings);
    VkShaderModule module(const SpirvModule& spirv, std::vector<VkDescriptorType>* bindings);

    const Device& device_;
    PipelineCache cache_;
    std::map<std::vector<VkDescriptorType>, Layout> layouts_;
    std::map<const SpirvModule*, std::pair<VkShaderModule, std::vector<VkDescriptorType>>> modules_;
    std::map<PipelineKey, Pipeline> pipelines_;
    double creation_seconds_ = 0;
    int cache_hits_ = -1;
};

}  // namespace cliprt::vk
