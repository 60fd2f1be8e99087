#include "vulkan/vulkan_memory.h"

#include <algorithm>

#include "cliprt/error.h"

namespace cliprt::vk {

namespace {

constexpr uint64_t kDefaultBlockSize = 256ull << 20;
// Every sub-allocation starts on this boundary, which covers minStorageBufferOffsetAlignment (at
// most 256 by the spec) for the arena's 256-byte value offsets.
constexpr uint64_t kMinAlignment = 256;

uint64_t align_up(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

}  // namespace

Allocator::Allocator(const Device& device) : device_(device) {
    const PhysicalDevice& p = device.physical();
    uint64_t max_alloc = p.maintenance3.maxMemoryAllocationSize;
    if (max_alloc == 0) max_alloc = 1ull << 30;
    uint64_t smallest_heap = UINT64_MAX;
    for (uint32_t i = 0; i < p.memory.memoryHeapCount; ++i)
        smallest_heap = std::min(smallest_heap, p.memory.memoryHeaps[i].size);
    block_size_ = std::min({kDefaultBlockSize, max_alloc, std::max<uint64_t>(smallest_heap / 4, 16ull << 20)});
    heap_used_.assign(p.memory.memoryHeapCount, 0);
}

Allocator::~Allocator() {
    for (size_t i = 0; i < blocks_.size(); ++i) destroy_block(static_cast<int>(i));
}

uint32_t Allocator::memory_type(uint32_t allowed, MemoryUse use) const {
    const VkPhysicalDeviceMemoryProperties& mem = device_.physical().memory;
    auto find = [&](VkMemoryPropertyFlags required) -> int {
        for (uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
            if ((allowed & (1u << i)) && (mem.memoryTypes[i].propertyFlags & required) == required)
                return static_cast<int>(i);
        }
        return -1;
    };
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    int type = -1;
    switch (use) {
        case MemoryUse::Device:
            type = find(VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
            if (type < 0) type = find(0);
            break;
        case MemoryUse::Staging:
            type = find(host);
            break;
        case MemoryUse::Readback:
            type = find(host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
            if (type < 0) type = find(host);
            break;
    }
    if (type < 0) fail("vulkan: device ", device_.physical().properties.deviceName, " has no suitable memory type");
    return static_cast<uint32_t>(type);
}

bool Allocator::device_memory_is_mapped() const {
    const VkPhysicalDeviceMemoryProperties& mem = device_.physical().memory;
    // The type allocate(Device) would choose for a storage buffer: the first device-local one.
    for (uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
        const VkMemoryPropertyFlags f = mem.memoryTypes[i].propertyFlags;
        if (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) {
            return (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && (f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
        }
    }
    return false;
}

uint64_t Allocator::allocated_bytes() const {
    uint64_t total = 0;
    for (const Block& b : blocks_) total += b.memory ? b.size : 0;
    return total;
}

int Allocator::new_block(uint32_t type, uint64_t size, bool dedicated) {
    const PhysicalDevice& p = device_.physical();
    const uint32_t heap = p.memory.memoryTypes[type].heapIndex;
    const uint64_t heap_size = p.memory.memoryHeaps[heap].size;
    if (heap_used_[heap] + size > heap_size) {
        fail("vulkan: out of device memory: ", mib(size), " more would exceed heap ", heap, " (", mib(heap_used_[heap]),
             " of ", mib(heap_size), " in use)");
    }
    if (p.maintenance3.maxMemoryAllocationSize && size > p.maintenance3.maxMemoryAllocationSize) {
        fail("vulkan: a buffer of ", mib(size), " exceeds the device's maxMemoryAllocationSize (",
             mib(p.maintenance3.maxMemoryAllocationSize), ")");
    }
    VkMemoryAllocateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    info.allocationSize = size;
    info.memoryTypeIndex = type;
    Block block;
    const VkResult result = device_.api().vkAllocateMemory(device_.handle(), &info, nullptr, &block.memory);
    if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY) {
        fail("vulkan: out of device memory allocating ", mib(size), " (", mib(heap_used_[heap]), " of heap ", heap,
             " already in use)");
    }
    check(result, "vkAllocateMemory");
    block.size = size;
    block.type = type;
    block.dedicated = dedicated;
    if (p.memory.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
        void* ptr = nullptr;
        check(device_.api().vkMapMemory(device_.handle(), block.memory, 0, VK_WHOLE_SIZE, 0, &ptr), "vkMapMemory");
        block.mapped = static_cast<unsigned char*>(ptr);
    }
    block.free[0] = size;
    heap_used_[heap] += size;
    for (size_t i = 0; i < blocks_.size(); ++i) {
        if (!blocks_[i].memory) {
            blocks_[i] = std::move(block);
            return static_cast<int>(i);
        }
    }
    blocks_.push_back(std::move(block));
    return static_cast<int>(blocks_.size() - 1);
}

void Allocator::destroy_block(int index) {
    Block& b = blocks_[static_cast<size_t>(index)];
    if (!b.memory) return;
    if (b.mapped) device_.api().vkUnmapMemory(device_.handle(), b.memory);
    device_.api().vkFreeMemory(device_.handle(), b.memory, nullptr);
    heap_used_[device_.physical().memory.memoryTypes[b.type].heapIndex] -= b.size;
    b = Block{};
}

Allocation Allocator::allocate(const VkMemoryRequirements& req, MemoryUse use) {
    const uint32_t type = memory_type(req.memoryTypeBits, use);
    const uint64_t alignment = std::max<uint64_t>(req.alignment, kMinAlignment);
    const uint64_t size = align_up(std::max<uint64_t>(req.size, 1), kMinAlignment);
    auto carve = [&](int index) -> Allocation {
        Block& b = blocks_[static_cast<size_t>(index)];
        for (auto it = b.free.begin(); it != b.free.end(); ++it) {
            const uint64_t start = align_up(it->first, alignment);
            const uint64_t end = it->first + it->second;
            if (start + size > end) continue;
            const uint64_t range_begin = it->first;
            b.free.erase(it);
            if (start > range_begin) b.free[range_begin] = start - range_begin;
            if (end > start + size) b.free[start + size] = end - (start + size);
            b.used += size;
            return Allocation{b.memory, start, size, b.mapped ? b.mapped + start : nullptr, index};
        }
        return Allocation{};
    };
    if (size > block_size_ / 2) {
        return carve(new_block(type, align_up(size, alignment), true));
    }
    for (size_t i = 0; i < blocks_.size(); ++i) {
        const Block& b = blocks_[i];
        if (!b.memory || b.dedicated || b.type != type) continue;
        Allocation a = carve(static_cast<int>(i));
        if (a.memory) return a;
    }
    return carve(new_block(type, block_size_, false));
}

void Allocator::release(const Allocation& a) {
    if (a.block < 0) return;
    Block& b = blocks_[static_cast<size_t>(a.block)];
    b.used -= a.size;
    if (b.used == 0) {
        destroy_block(a.block);  // an empty block goes back to the driver
        return;
    }
    auto next = b.free.lower_bound(a.offset);
    uint64_t begin = a.offset, size = a.size;
    if (next != b.free.end() && next->first == begin + size) {
        size += next->second;
        next = b.free.erase(next);
    }
    if (next != b.free.begin()) {
        auto prev = std::prev(next);
        if (prev->first + prev->second == begin) {
            begin = prev->first;
            size += prev->second;
            b.free.erase(prev);
        }
    }
    b.free[begin] = size;
}

VulkanBuffer::VulkanBuffer(std::shared_ptr<void> keep_alive, const Device& device, Allocator& allocator, uint64_t bytes,
                           MemoryUse use)
    : keep_alive_(std::move(keep_alive)),
      device_(device),
      allocator_(allocator),
      size_(bytes),
      capacity_(align_up(std::max<uint64_t>(bytes, 4), kMinAlignment)) {
    VkBufferCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    info.size = capacity_;
    info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
                 VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    const DeviceApi& api = device.api();
    check(api.vkCreateBuffer(device.handle(), &info, nullptr, &buffer_), "vkCreateBuffer");
    try {
        VkMemoryRequirements req{};
        api.vkGetBufferMemoryRequirements(device.handle(), buffer_, &req);
        allocation_ = allocator.allocate(req, use);
        check(api.vkBindBufferMemory(device.handle(), buffer_, allocation_.memory, allocation_.offset),
              "vkBindBufferMemory");
    } catch (...) {
        allocator.release(allocation_);
        api.vkDestroyBuffer(device.handle(), buffer_, nullptr);
        throw;
    }
}

VulkanBuffer::~VulkanBuffer() {
    device_.api().vkDestroyBuffer(device_.handle(), buffer_, nullptr);
    allocator_.release(allocation_);
}

const VulkanBuffer& vulkan_buffer(const Buffer& buffer) {
    const auto* b = dynamic_cast<const VulkanBuffer*>(&buffer);
    if (!b) fail("vulkan: a buffer of another backend was passed to the vulkan backend");
    return *b;
}

}  // namespace cliprt::vk
