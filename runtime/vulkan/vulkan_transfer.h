// Host <-> device copies. Where device memory is host-visible and coherent (lavapipe, most
// integrated GPUs) they are memcpy; otherwise they go through a reused staging buffer in chunks.
#pragma once

#include <memory>

#include "vulkan/vulkan_memory.h"

namespace cliprt::vk {

class Transfer {
public:
    // force_staging: use the staging path even where memory is mapped (tests cover both paths).
    Transfer(const Device& device, Allocator& allocator, bool force_staging);
    ~Transfer();

    void upload(const VulkanBuffer& dst, uint64_t offset, const void* src, uint64_t bytes);
    void download(const VulkanBuffer& src, uint64_t offset, void* dst, uint64_t bytes);
    bool uses_staging() const { return staging_path_; }

private:
    VulkanBuffer& staging(uint64_t bytes);

    const Device& device_;
    Allocator& allocator_;
    bool staging_path_;
    std::unique_ptr<VulkanBuffer> staging_;
};

}  // namespace cliprt::vk
