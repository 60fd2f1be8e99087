#include "vulkan/vulkan_program.h"

#include <cstring>

#include "cliprt/error.h"

namespace cliprt::vk {

namespace {

constexpr uint32_t kNoBadRow = 0xffffffffu;

// Memory a dispatch touches, for deciding where barriers are needed.
struct Touch {
    VkBuffer buffer;
    uint64_t begin, end;
    bool write;
};

bool conflicts(const std::vector<Touch>& pending, const Binding& b) {
    const bool write = b.access != Access::Read;
    for (const Touch& t : pending) {
        if (t.buffer == b.buffer && t.begin < b.offset + b.bytes && b.offset < t.end && (t.write || write)) return true;
    }
    return false;
}

void memory_barrier(const DeviceApi& api, VkCommandBuffer cmd, VkPipelineStageFlags src_stage, VkAccessFlags src,
                    VkPipelineStageFlags dst_stage, VkAccessFlags dst) {
    VkMemoryBarrier barrier{};
    barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    barrier.srcAccessMask = src;
    barrier.dstAccessMask = dst;
    api.vkCmdPipelineBarrier(cmd, src_stage, dst_stage, 0, 1, &barrier, 0, nullptr, 0, nullptr);
}

}  // namespace

VulkanProgram::VulkanProgram(Recording&& recording)
    : context_(recording.context()), status_(recording.take_status()), id_checks_(std::move(recording.id_checks())) {
    const Device& device = *context_->device;
    VkFenceCreateInfo fence_info{};
    fence_info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    check(device.api().vkCreateFence(device.handle(), &fence_info, nullptr, &fence_), "vkCreateFence");
    try {
        record(recording.dispatches());
    } catch (...) {
        release();
        throw;
    }
}

VulkanProgram::~VulkanProgram() { release(); }

void VulkanProgram::release() {
    const Device& device = *context_->device;
    const DeviceApi& api = device.api();
    if (cmd_) api.vkFreeCommandBuffers(device.handle(), device.command_pool(), 1, &cmd_);
    if (pool_) api.vkDestroyDescriptorPool(device.handle(), pool_, nullptr);
    if (fence_) api.vkDestroyFence(device.handle(), fence_, nullptr);
    cmd_ = VK_NULL_HANDLE;
    pool_ = VK_NULL_HANDLE;
    fence_ = VK_NULL_HANDLE;
}

void VulkanProgram::record(const std::vector<Dispatch>& dispatches) {
    const Device& device = *context_->device;
    const DeviceApi& api = device.api();
    const VkDevice d = device.handle();
    PipelineRegistry& registry = *context_->pipelines;
    dispatch_count_ = dispatches.size();

    // Pipelines first (created lazily, shared with other programs), then one set per dispatch.
    std::vector<const Pipeline*> pipelines;
    uint32_t descriptors = 0;
    for (const Dispatch& dispatch : dispatches) {
        const Pipeline& p = registry.get(dispatch.key);
        if (p.binding_count != dispatch.bindings.size()) {
            fail("vulkan: node '", dispatch.node, "' binds ", dispatch.bindings.size(), " buffers to shader ", dispatch.key.shader,
                 " which has ", p.binding_count);
        }
        pipelines.push_back(&p);
        descriptors += p.binding_count;
    }
    std::vector<VkDescriptorSet> sets(dispatches.size());
    if (!dispatches.empty()) {
        const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, std::max<uint32_t>(descriptors, 1)};
        VkDescriptorPoolCreateInfo pool_info{};
        pool_info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
        pool_info.maxSets = static_cast<uint32_t>(dispatches.size());
        pool_info.poolSizeCount = 1;
        pool_info.pPoolSizes = &size;
        check(api.vkCreateDescriptorPool(d, &pool_info, nullptr, &pool_), "vkCreateDescriptorPool");
        std::vector<VkDescriptorSetLayout> layouts;
        for (const Pipeline* p : pipelines) layouts.push_back(p->set_layout);
        VkDescriptorSetAllocateInfo alloc{};
        alloc.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
        alloc.descriptorPool = pool_;
        alloc.descriptorSetCount = static_cast<uint32_t>(layouts.size());
        alloc.pSetLayouts = layouts.data();
        check(api.vkAllocateDescriptorSets(d, &alloc, sets.data()), "vkAllocateDescriptorSets");

        std::vector<VkDescriptorBufferInfo> infos;
        infos.reserve(descriptors);
        std::vector<VkWriteDescriptorSet> writes;
        for (size_t i = 0; i < dispatches.size(); ++i) {
            for (size_t b = 0; b < dispatches[i].bindings.size(); ++b) {
                const Binding& binding = dispatches[i].bindings[b];
                infos.push_back(VkDescriptorBufferInfo{binding.buffer, binding.offset, binding.bytes});
                VkWriteDescriptorSet w{};
                w.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
                w.dstSet = sets[i];
                w.dstBinding = static_cast<uint32_t>(b);
                w.descriptorCount = 1;
                w.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
                w.pBufferInfo = &infos.back();
                writes.push_back(w);
            }
        }
        api.vkUpdateDescriptorSets(d, static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
    }

    VkCommandBufferAllocateInfo alloc{};
    alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    alloc.commandPool = device.command_pool();
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    check(api.vkAllocateCommandBuffers(d, &alloc, &cmd_), "vkAllocateCommandBuffers");
    VkCommandBufferBeginInfo begin{};
    begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    check(api.vkBeginCommandBuffer(cmd_, &begin), "vkBeginCommandBuffer");

    if (status_) api.vkCmdFillBuffer(cmd_, status_->handle(), 0, VK_WHOLE_SIZE, kNoBadRow);
    // Inputs were written by the host or by transfer copies before the submit.
    memory_barrier(api, cmd_, VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                   VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                   VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);

    std::vector<Touch> pending;  // memory touched since the last barrier
    VkPipeline bound = VK_NULL_HANDLE;
    std::vector<uint32_t> push(kPushConstantBytes / sizeof(uint32_t));
    for (size_t i = 0; i < dispatches.size(); ++i) {
        const Dispatch& dispatch = dispatches[i];
        bool hazard = false;
        for (const Binding& b : dispatch.bindings) hazard = hazard || conflicts(pending, b);
        if (hazard) {
            memory_barrier(api, cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                           VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
            ++barrier_count_;
            pending.clear();
        }
        for (const Binding& b : dispatch.bindings) pending.push_back(Touch{b.buffer, b.offset, b.offset + b.bytes, b.access != Access::Read});

        const Pipeline& p = *pipelines[i];
        if (p.pipeline != bound) {
            api.vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
            bound = p.pipeline;
        }
        api.vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, 1, &sets[i], 0, nullptr);
        std::fill(push.begin(), push.end(), 0u);
        std::copy(dispatch.push.begin(), dispatch.push.end(), push.begin());
        api.vkCmdPushConstants(cmd_, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, kPushConstantBytes, push.data());
        api.vkCmdDispatch(cmd_, dispatch.groups[0], dispatch.groups[1], dispatch.groups[2]);
    }
    // Outputs are read by the host or by transfer copies after the fence; the next run's uploads
    // must not overwrite inputs still being read.
    memory_barrier(api, cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                   VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                   VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
    check(api.vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
}

void VulkanProgram::run() {
    const Device& device = *context_->device;
    VkSubmitInfo submit{};
    submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd_;
    check(device.api().vkQueueSubmit(device.queue(), 1, &submit, fence_), "vkQueueSubmit");
    wait_fence(device.api(), device.handle(), fence_, "a forward");
    if (!id_checks_.empty()) check_ids();
}

void VulkanProgram::check_ids() const {
    for (size_t slot = 0; slot < id_checks_.size(); ++slot) {
        uint32_t row = kNoBadRow;
        std::memcpy(&row, status_->mapped() + slot * sizeof(uint32_t), sizeof row);
        if (row == kNoBadRow) continue;
        const IdCheck& c = id_checks_[slot];
        int32_t id = 0;
        context_->transfer->download(vulkan_buffer(*c.ids.buffer), c.ids.offset + row * sizeof(int32_t), &id, sizeof id);
        fail("embedding '", c.node, "': id ", id, " at position ", row, " is outside the vocabulary [0, ", c.vocab, ")");
    }
}

}  // namespace cliprt::vk
