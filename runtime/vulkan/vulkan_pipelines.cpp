#include "vulkan/vulkan_pipelines.h"

#include <chrono>

#include "cliprt/error.h"
#include "vulkan/vulkan_shaders.h"

namespace cliprt::vk {

PipelineRegistry::PipelineRegistry(const Device& device, std::string cache_path)
    : device_(device),
      cache_(device, std::move(cache_path)),
      cache_hits_(device.physical().creation_feedback ? 0 : -1) {}

PipelineRegistry::~PipelineRegistry() {
    const DeviceApi& api = device_.api();
    const VkDevice d = device_.handle();
    for (auto& [key, p] : pipelines_) api.vkDestroyPipeline(d, p.pipeline, nullptr);
    for (auto& [name, m] : modules_) api.vkDestroyShaderModule(d, m.first, nullptr);
    for (auto& [count, l] : layouts_) {
        api.vkDestroyPipelineLayout(d, l.layout, nullptr);
        api.vkDestroyDescriptorSetLayout(d, l.set_layout, nullptr);
    }
}

const PipelineRegistry::Layout& PipelineRegistry::layout(const std::vector<VkDescriptorType>& types) {
    auto it = layouts_.find(types);
    if (it != layouts_.end()) return it->second;
    const auto binding_count = static_cast<uint32_t>(types.size());
    std::vector<VkDescriptorSetLayoutBinding> bindings(binding_count);
    for (uint32_t i = 0; i < binding_count; ++i) {
        bindings[i].binding = i;
        bindings[i].descriptorType = types[i];
        bindings[i].descriptorCount = 1;
        bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    Layout l;
    VkDescriptorSetLayoutCreateInfo set_info{};
    set_info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
    set_info.bindingCount = binding_count;
    set_info.pBindings = bindings.data();
    check(device_.api().vkCreateDescriptorSetLayout(device_.handle(), &set_info, nullptr, &l.set_layout),
          "vkCreateDescriptorSetLayout");
    const VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushConstantBytes};
    VkPipelineLayoutCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
    info.setLayoutCount = 1;
    info.pSetLayouts = &l.set_layout;
    info.pushConstantRangeCount = 1;
    info.pPushConstantRanges = &push;
    check(device_.api().vkCreatePipelineLayout(device_.handle(), &info, nullptr, &l.layout), "vkCreatePipelineLayout");
    return layouts_.emplace(types, l).first->second;
}

VkShaderModule PipelineRegistry::module(const SpirvModule& spirv, std::vector<VkDescriptorType>* bindings) {
    auto it = modules_.find(&spirv);
    if (it == modules_.end()) {
        VkShaderModuleCreateInfo info{};
        info.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
        info.codeSize = spirv.word_count * sizeof(uint32_t);
        info.pCode = spirv.words;
        VkShaderModule m = VK_NULL_HANDLE;
        check(device_.api().vkCreateShaderModule(device_.handle(), &info, nullptr, &m), "vkCreateShaderModule");
        it = modules_.emplace(&spirv, std::make_pair(m, spirv_descriptor_types(spirv))).first;
    }
    *bindings = it->second.second;
    return it->second.first;
}

const Pipeline& PipelineRegistry::get(const PipelineKey& key) {
    auto it = pipelines_.find(key);
    if (it != pipelines_.end()) return it->second;
    Pipeline p;
    VkShaderModule m = module(*key.shader, &p.bindings);
    const Layout& l = layout(p.bindings);
    p.layout = l.layout;
    p.set_layout = l.set_layout;

    std::vector<VkSpecializationMapEntry> entries(key.spec.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        entries[i] = VkSpecializationMapEntry{static_cast<uint32_t>(i), static_cast<uint32_t>(i * sizeof(uint32_t)),
                                              sizeof(uint32_t)};
    }
    VkSpecializationInfo spec{};
    spec.mapEntryCount = static_cast<uint32_t>(entries.size());
    spec.pMapEntries = entries.data();
    spec.dataSize = key.spec.size() * sizeof(uint32_t);
    spec.pData = key.spec.data();

    VkComputePipelineCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
    info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    info.stage.module = m;
    info.stage.pName = "main";
    info.stage.pSpecializationInfo = key.spec.empty() ? nullptr : &spec;
    info.layout = p.layout;
    VkPipelineCreationFeedbackEXT feedback{};
    VkPipelineCreationFeedbackCreateInfoEXT feedback_info{};
    feedback_info.sType = VK_STRUCTURE_TYPE_PIPELINE_CREATION_FEEDBACK_CREATE_INFO_EXT;
    feedback_info.pPipelineCreationFeedback = &feedback;
    if (device_.physical().creation_feedback) info.pNext = &feedback_info;
    const auto start = std::chrono::steady_clock::now();
    const VkResult result =
        device_.api().vkCreateComputePipelines(device_.handle(), cache_.handle(), 1, &info, nullptr, &p.pipeline);
    creation_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (result != VK_SUCCESS)
        fail("vulkan: creating the pipeline of shader ", key.shader->name, " failed: ", result_name(result));
    if (device_.physical().creation_feedback) {
        const VkPipelineCreationFeedbackFlags hit =
            VK_PIPELINE_CREATION_FEEDBACK_VALID_BIT_EXT |
            VK_PIPELINE_CREATION_FEEDBACK_APPLICATION_PIPELINE_CACHE_HIT_BIT_EXT;
        if ((feedback.flags & hit) == hit) ++cache_hits_;
    }
    cache_.mark_dirty();
    return pipelines_.emplace(key, p).first->second;
}

}  // namespace cliprt::vk
