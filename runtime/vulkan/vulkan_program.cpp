#include "vulkan/vulkan_program.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "cliprt/error.h"
#include "vulkan/vulkan_instance.h"

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
    for (VkBufferView view : views_) api.vkDestroyBufferView(device.handle(), view, nullptr);
    views_.clear();
    if (timestamps_) api.vkDestroyQueryPool(device.handle(), timestamps_, nullptr);
    timestamps_ = VK_NULL_HANDLE;
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
    std::map<VkDescriptorType, uint32_t> descriptors;
    for (const Dispatch& dispatch : dispatches) {
        const Pipeline& p = registry.get(dispatch.key);
        if (p.bindings.size() != dispatch.bindings.size()) {
            fail("vulkan: node '", dispatch.node, "' binds ", dispatch.bindings.size(), " buffers to shader ",
                 dispatch.key.shader->name, " which has ", p.bindings.size());
        }
        for (size_t b = 0; b < p.bindings.size(); ++b) {
            const bool texel = dispatch.bindings[b].texel_format != VK_FORMAT_UNDEFINED;
            if (texel != (p.bindings[b] == VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER))
                fail("vulkan: node '", dispatch.node, "' binding ", b, " of shader ", dispatch.key.shader->name,
                     " has the wrong kind");
            ++descriptors[p.bindings[b]];
        }
        pipelines.push_back(&p);
    }
    std::vector<VkDescriptorSet> sets(dispatches.size());
    if (!dispatches.empty()) {
        std::vector<VkDescriptorPoolSize> sizes;
        for (const auto& [type, count] : descriptors) sizes.push_back(VkDescriptorPoolSize{type, count});
        VkDescriptorPoolCreateInfo pool_info{};
        pool_info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
        pool_info.maxSets = static_cast<uint32_t>(dispatches.size());
        pool_info.poolSizeCount = static_cast<uint32_t>(sizes.size());
        pool_info.pPoolSizes = sizes.data();
        check(api.vkCreateDescriptorPool(d, &pool_info, nullptr, &pool_), "vkCreateDescriptorPool");
        std::vector<VkDescriptorSetLayout> layouts;
        for (const Pipeline* p : pipelines) layouts.push_back(p->set_layout);
        VkDescriptorSetAllocateInfo alloc{};
        alloc.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
        alloc.descriptorPool = pool_;
        alloc.descriptorSetCount = static_cast<uint32_t>(layouts.size());
        alloc.pSetLayouts = layouts.data();
        check(api.vkAllocateDescriptorSets(d, &alloc, sets.data()), "vkAllocateDescriptorSets");

        size_t total = 0;
        for (const auto& [type, count] : descriptors) total += count;
        std::vector<VkDescriptorBufferInfo> infos;
        infos.reserve(total);  // writes point into these vectors: no reallocation
        views_.reserve(total);
        std::vector<VkWriteDescriptorSet> writes;
        for (size_t i = 0; i < dispatches.size(); ++i) {
            for (size_t b = 0; b < dispatches[i].bindings.size(); ++b) {
                const Binding& binding = dispatches[i].bindings[b];
                VkWriteDescriptorSet w{};
                w.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
                w.dstSet = sets[i];
                w.dstBinding = static_cast<uint32_t>(b);
                w.descriptorCount = 1;
                if (binding.texel_format != VK_FORMAT_UNDEFINED) {
                    VkBufferViewCreateInfo view_info{};
                    view_info.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO;
                    view_info.buffer = binding.buffer;
                    view_info.format = binding.texel_format;
                    view_info.offset = binding.offset;
                    view_info.range = binding.bytes;
                    VkBufferView view = VK_NULL_HANDLE;
                    check(api.vkCreateBufferView(d, &view_info, nullptr, &view), "vkCreateBufferView");
                    views_.push_back(view);
                    w.descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
                    w.pTexelBufferView = &views_.back();
                } else {
                    infos.push_back(VkDescriptorBufferInfo{binding.buffer, binding.offset, binding.bytes});
                    w.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
                    w.pBufferInfo = &infos.back();
                }
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

    profile_mode_ = profile_mode("CLIPRT_VULKAN_PROFILE");
    if (profile_mode_ != ProfileMode::Off && device.limits().timestampComputeAndGraphics && !dispatches.empty()) {
        VkQueryPoolCreateInfo query_info{};
        query_info.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO;
        query_info.queryType = VK_QUERY_TYPE_TIMESTAMP;
        query_info.queryCount = static_cast<uint32_t>(dispatches.size() + 1);
        check(api.vkCreateQueryPool(d, &query_info, nullptr, &timestamps_), "vkCreateQueryPool");
        api.vkCmdResetQueryPool(cmd_, timestamps_, 0, query_info.queryCount);
        for (const Dispatch& dispatch : dispatches) {
            dispatch_names_.push_back(dispatch.node + " [" + dispatch.key.shader->name + "]");
            dispatch_nodes_.push_back(dispatch.node);
            dispatch_shaders_.push_back(dispatch.key.shader->name);
        }
        total_ms_.assign(dispatches.size(), 0.0);
        best_ms_.assign(dispatches.size(), 1e30);
    }
    if (status_) api.vkCmdFillBuffer(cmd_, status_->handle(), 0, VK_WHOLE_SIZE, kNoBadRow);
    // Inputs were written by the host or by transfer copies before the submit.
    memory_barrier(api, cmd_, VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                   VK_ACCESS_HOST_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                   VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);

    if (timestamps_) api.vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, timestamps_, 0);
    std::vector<Touch> pending;  // memory touched since the last barrier
    VkPipeline bound = VK_NULL_HANDLE;
    std::vector<uint32_t> push(kPushConstantBytes / sizeof(uint32_t));
    for (size_t i = 0; i < dispatches.size(); ++i) {
        const Dispatch& dispatch = dispatches[i];
        bool hazard = false;
        for (const Binding& b : dispatch.bindings) hazard = hazard || conflicts(pending, b);
        if (hazard) {
            memory_barrier(api, cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                           VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                           VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
            ++barrier_count_;
            pending.clear();
        }
        for (const Binding& b : dispatch.bindings)
            pending.push_back(Touch{b.buffer, b.offset, b.offset + b.bytes, b.access != Access::Read});

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
        if (timestamps_) {
            api.vkCmdWriteTimestamp(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, timestamps_,
                                    static_cast<uint32_t>(i + 1));
        }
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
    if (timestamps_) {
        collect_profile();
        if (profile_mode_ == ProfileMode::Print) print_profile();
    }
    if (!id_checks_.empty()) check_ids();
}

void VulkanProgram::collect_profile() {
    const Device& device = *context_->device;
    std::vector<uint64_t> ticks(dispatch_count_ + 1);
    const VkResult result = device.api().vkGetQueryPoolResults(
        device.handle(), timestamps_, 0, static_cast<uint32_t>(ticks.size()), ticks.size() * sizeof(uint64_t),
        ticks.data(), sizeof(uint64_t), VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    if (result != VK_SUCCESS) return;
    // Only the bits the queue's timestamps hold are valid (timestampValidBits), so differences wrap.
    const uint32_t valid_bits = device.physical().queue_timestamp_bits;
    const uint64_t mask = valid_bits >= 64 || valid_bits == 0 ? ~0ull : (1ull << valid_bits) - 1;
    const double ms_per_tick = device.limits().timestampPeriod * 1e-6;
    last_ms_.assign(dispatch_count_, 0.0);
    for (size_t i = 0; i < dispatch_count_; ++i) {
        const double ms = static_cast<double>((ticks[i + 1] - ticks[i]) & mask) * ms_per_tick;
        last_ms_[i] = ms;
        total_ms_[i] += ms;
        best_ms_[i] = std::min(best_ms_[i], ms);
    }
    ++profiled_runs_;
}

ProgramProfile VulkanProgram::profile() const {
    ProgramProfile p;
    if (!timestamps_) return p;
    p.runs = profiled_runs_;
    p.clock = "Vulkan timestamp queries after each dispatch";
    for (size_t i = 0; i < dispatch_count_; ++i) {
        p.steps.push_back(StepTime{dispatch_nodes_[i], dispatch_shaders_[i], 1e-3 * total_ms_[i],
                                   profiled_runs_ > 0 ? 1e-3 * best_ms_[i] : 0.0});
    }
    return p;
}

void VulkanProgram::print_profile() const {
    std::map<std::string, double> by_shader;
    std::vector<std::pair<double, std::string>> rows;
    double total = 0;
    for (size_t i = 0; i < dispatch_count_; ++i) {
        const double ms = last_ms_[i];
        rows.emplace_back(ms, dispatch_names_[i]);
        by_shader[dispatch_shaders_[i]] += ms;
        total += ms;
    }
    std::fprintf(stderr, "vulkan profile: %zu dispatches, %.2f ms\n", dispatch_count_, total);
    for (const auto& [shader, ms] : by_shader)
        std::fprintf(stderr, "  %-24s %9.2f ms %5.1f%%\n", shader.c_str(), ms, 100 * ms / total);
    std::sort(rows.rbegin(), rows.rend());
    for (size_t i = 0; i < std::min<size_t>(rows.size(), 8); ++i)
        std::fprintf(stderr, "  %9.2f ms  %s\n", rows[i].first, rows[i].second.c_str());
}

void VulkanProgram::check_ids() const {
    for (size_t slot = 0; slot < id_checks_.size(); ++slot) {
        uint32_t row = kNoBadRow;
        std::memcpy(&row, status_->mapped() + slot * sizeof(uint32_t), sizeof row);
        if (row == kNoBadRow) continue;
        const IdCheck& c = id_checks_[slot];
        int32_t id = 0;
        context_->transfer->download(vulkan_buffer(*c.ids.buffer), c.ids.offset + row * sizeof(int32_t), &id,
                                     sizeof id);
        fail("embedding '", c.node, "': id ", id, " at position ", row, " is outside the vocabulary [0, ", c.vocab,
             ")");
    }
}

}  // namespace cliprt::vk
