// A recorded forward: every dispatch in one command buffer, descriptor sets allocated and written
// once, a barrier only where a dispatch depends on an earlier one, and one submit per run. With
// CLIPRT_VULKAN_PROFILE=1 each run prints the time of every dispatch (timestamp queries) to stderr.
#pragma once

#include <memory>
#include <vector>

#include "vulkan/vulkan_recording.h"

namespace cliprt::vk {

class VulkanProgram : public Program {
public:
    explicit VulkanProgram(Recording&& recording);
    ~VulkanProgram() override;
    VulkanProgram(const VulkanProgram&) = delete;
    VulkanProgram& operator=(const VulkanProgram&) = delete;

    // Submits the command buffer, waits, and throws Error if an embedding met an out-of-range id.
    void run() override;
    int dispatch_count() const override { return static_cast<int>(dispatch_count_); }
    int submit_count() const override { return 1; }
    int barrier_count() const { return barrier_count_; }
    // With CLIPRT_VULKAN_PROFILE set at record time: each dispatch's time from timestamp queries.
    ProgramProfile profile() const override;

private:
    void record(const std::vector<Dispatch>& dispatches);
    void check_ids() const;
    void release();
    void collect_profile();
    void print_profile() const;

    std::shared_ptr<Context> context_;
    std::unique_ptr<VulkanBuffer> status_;
    std::vector<IdCheck> id_checks_;
    VkDescriptorPool pool_ = VK_NULL_HANDLE;
    std::vector<VkBufferView> views_;  // texel views of the bindings that read through one
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    VkQueryPool timestamps_ = VK_NULL_HANDLE;  // CLIPRT_VULKAN_PROFILE=1: one after each dispatch
    ProfileMode profile_mode_ = ProfileMode::Off;
    std::vector<std::string> dispatch_names_;
    std::vector<std::string> dispatch_nodes_, dispatch_shaders_;
    std::vector<double> last_ms_, total_ms_, best_ms_;  // per dispatch: the last run, summed, fastest
    int64_t profiled_runs_ = 0;
    size_t dispatch_count_ = 0;
    int barrier_count_ = 0;
};

}  // namespace cliprt::vk
