#include "vulkan/vulkan_transfer.h"

#include <algorithm>
#include <cstring>

#include "cliprt/error.h"

namespace cliprt::vk {

namespace {

// Large uploads (weights) go through the staging buffer in pieces of this size.
constexpr uint64_t kStagingChunk = 32ull << 20;

void check_range(const VulkanBuffer& buffer, uint64_t offset, uint64_t bytes, const char* what) {
    if (offset > buffer.size() || bytes > buffer.size() - offset) {
        fail("vulkan: ", what, " of ", bytes, " bytes at offset ", offset, " overruns a buffer of ", buffer.size(),
             " bytes");
    }
}

}  // namespace

Transfer::Transfer(const Device& device, Allocator& allocator, bool force_staging)
    : device_(device), allocator_(allocator), staging_path_(force_staging || !allocator.device_memory_is_mapped()) {}

Transfer::~Transfer() = default;

VulkanBuffer& Transfer::staging(uint64_t bytes) {
    if (!staging_ || staging_->size() < bytes) {
        staging_.reset();
        staging_ = std::make_unique<VulkanBuffer>(nullptr, device_, allocator_, bytes, MemoryUse::Readback);
    }
    return *staging_;
}

void Transfer::upload(const VulkanBuffer& dst, uint64_t offset, const void* src, uint64_t bytes) {
    check_range(dst, offset, bytes, "upload");
    if (bytes == 0) return;
    if (!staging_path_ && dst.mapped()) {
        std::memcpy(dst.mapped() + offset, src, bytes);
        return;
    }
    const auto* from = static_cast<const unsigned char*>(src);
    for (uint64_t done = 0; done < bytes;) {
        const uint64_t n = std::min(kStagingChunk, bytes - done);
        VulkanBuffer& stage = staging(std::min(kStagingChunk, bytes));
        std::memcpy(stage.mapped(), from + done, n);
        device_.submit_and_wait([&](VkCommandBuffer cmd) {
            const VkBufferCopy region{0, offset + done, n};
            device_.api().vkCmdCopyBuffer(cmd, stage.handle(), dst.handle(), 1, &region);
        });
        done += n;
    }
}

void Transfer::download(const VulkanBuffer& src, uint64_t offset, void* dst, uint64_t bytes) {
    check_range(src, offset, bytes, "download");
    if (bytes == 0) return;
    if (!staging_path_ && src.mapped()) {
        std::memcpy(dst, src.mapped() + offset, bytes);
        return;
    }
    auto* to = static_cast<unsigned char*>(dst);
    for (uint64_t done = 0; done < bytes;) {
        const uint64_t n = std::min(kStagingChunk, bytes - done);
        VulkanBuffer& stage = staging(std::min(kStagingChunk, bytes));
        device_.submit_and_wait([&](VkCommandBuffer cmd) {
            const VkBufferCopy region{offset + done, 0, n};
            device_.api().vkCmdCopyBuffer(cmd, src.handle(), stage.handle(), 1, &region);
            VkMemoryBarrier barrier{};
            barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
            barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
            device_.api().vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                                               &barrier, 0, nullptr, 0, nullptr);
        });
        std::memcpy(to + done, stage.mapped(), n);
        done += n;
    }
}

}  // namespace cliprt::vk
