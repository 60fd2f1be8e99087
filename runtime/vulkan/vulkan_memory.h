// Device memory: a few large VkDeviceMemory blocks sub-allocated first-fit, so hundreds of weight
// tensors do not each cost an allocation (drivers cap their number and each is slow). Blocks respect
// maxMemoryAllocationSize and the heap size; a request larger than a block gets its own allocation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "vulkan/vulkan_device.h"

namespace cliprt::vk {

enum class MemoryUse : uint8_t {
    Device,    // storage buffers: device-local first
    Staging,   // host-visible, coherent: transfers between host and device
    Readback,  // host-visible, coherent, cached when possible: small results read by the host
};

struct Allocation {
    VkDeviceMemory memory = VK_NULL_HANDLE;
    uint64_t offset = 0;
    uint64_t size = 0;
    unsigned char* mapped = nullptr;  // host pointer to offset, when the memory is host-visible
    int block = -1;
};

class Allocator {
public:
    explicit Allocator(const Device& device);
    ~Allocator();
    Allocator(const Allocator&) = delete;
    Allocator& operator=(const Allocator&) = delete;

    Allocation allocate(const VkMemoryRequirements& requirements, MemoryUse use);
    void release(const Allocation& allocation);

    // True when device-local buffers are host-visible and coherent (CPU devices, integrated GPUs
    // with a unified heap): uploads and downloads are then plain copies.
    bool device_memory_is_mapped() const;
    uint64_t allocated_bytes() const;  // sum of live VkDeviceMemory sizes

private:
    struct Block {
        VkDeviceMemory memory = VK_NULL_HANDLE;
        uint64_t size = 0;
        uint32_t type = 0;
        unsigned char* mapped = nullptr;
        bool dedicated = false;
        std::map<uint64_t, uint64_t> free;  // offset -> size of each free range
        uint64_t used = 0;
    };
    uint32_t memory_type(uint32_t allowed, MemoryUse use) const;
    int new_block(uint32_t type, uint64_t size, bool dedicated);
    void destroy_block(int index);

    const Device& device_;
    uint64_t block_size_;
    std::vector<Block> blocks_;
    std::vector<uint64_t> heap_used_;
};

// A VkBuffer bound to an Allocation; the Buffer of the Vulkan backend.
class VulkanBuffer : public Buffer {
public:
    VulkanBuffer(std::shared_ptr<void> keep_alive, const Device& device, Allocator& allocator, uint64_t bytes,
                 MemoryUse use);
    ~VulkanBuffer() override;
    VulkanBuffer(const VulkanBuffer&) = delete;
    VulkanBuffer& operator=(const VulkanBuffer&) = delete;

    uint64_t size() const override { return size_; }
    // The VkBuffer's size: size() rounded up to 256 bytes, so texel views of the last tensor in a
    // buffer may round their range up to whole texels.
    uint64_t capacity() const { return capacity_; }
    VkBuffer handle() const { return buffer_; }
    unsigned char* mapped() const { return allocation_.mapped; }  // null unless host-visible

private:
    std::shared_ptr<void> keep_alive_;  // the backend context: device and allocator outlive the buffer
    const Device& device_;
    Allocator& allocator_;
    uint64_t size_;
    uint64_t capacity_;
    VkBuffer buffer_ = VK_NULL_HANDLE;
    Allocation allocation_;
};

// The VulkanBuffer behind a Buffer (Error for another backend's buffer).
const VulkanBuffer& vulkan_buffer(const Buffer& buffer);

}  // namespace cliprt::vk
