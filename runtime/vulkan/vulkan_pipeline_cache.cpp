#include "vulkan/vulkan_pipeline_cache.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cliprt/error.h"

namespace cliprt::vk {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'C', 'L', 'I', 'P', 'R', 'T', 'P', 'C'};
constexpr uint32_t kFormatVersion = 1;

struct FileHeader {
    char magic[8];
    uint32_t format_version;
    uint32_t vendor_id;
    uint32_t device_id;
    uint32_t driver_version;
    uint8_t pipeline_cache_uuid[VK_UUID_SIZE];
    uint64_t data_size;
    uint64_t checksum;
};

uint64_t fnv1a(const unsigned char* data, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; ++i) h = (h ^ data[i]) * 1099511628211ull;
    return h;
}

FileHeader header_for(const PhysicalDevice& d) {
    FileHeader h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.format_version = kFormatVersion;
    h.vendor_id = d.properties.vendorID;
    h.device_id = d.properties.deviceID;
    h.driver_version = d.properties.driverVersion;
    std::memcpy(h.pipeline_cache_uuid, d.properties.pipelineCacheUUID, VK_UUID_SIZE);
    return h;
}

// Why the file's bytes cannot be used on this device, or "" when they can.
std::string reject_reason(const std::vector<unsigned char>& file, const PhysicalDevice& d) {
    if (file.size() < sizeof(FileHeader)) return "too short";
    FileHeader h;
    std::memcpy(&h, file.data(), sizeof h);
    const FileHeader want = header_for(d);
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.format_version != kFormatVersion)
        return "not a cliprt cache";
    if (h.vendor_id != want.vendor_id || h.device_id != want.device_id) return "made for another device";
    if (h.driver_version != want.driver_version) return "made by another driver version";
    if (std::memcmp(h.pipeline_cache_uuid, want.pipeline_cache_uuid, VK_UUID_SIZE) != 0)
        return "pipeline cache UUID differs";
    if (h.data_size != file.size() - sizeof h) return "truncated";
    if (h.checksum != fnv1a(file.data() + sizeof h, h.data_size)) return "checksum mismatch";
    // The driver's own header (VkPipelineCacheHeaderVersionOne) must agree too.
    VkPipelineCacheHeaderVersionOne vk{};
    if (h.data_size < sizeof vk) return "no driver header";
    std::memcpy(&vk, file.data() + sizeof h, sizeof vk);
    if (vk.headerVersion != VK_PIPELINE_CACHE_HEADER_VERSION_ONE || vk.vendorID != want.vendor_id ||
        vk.deviceID != want.device_id || std::memcmp(vk.pipelineCacheUUID, want.pipeline_cache_uuid, VK_UUID_SIZE) != 0)
        return "driver header does not match the device";
    return "";
}

}  // namespace

std::string PipelineCache::default_path(const PhysicalDevice& d) {
    if (const char* env = std::getenv("CLIPRT_VULKAN_PIPELINE_CACHE"); env && *env) {
        const std::string v(env);
        return v == "off" || v == "0" ? "" : v;
    }
    fs::path dir;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
        dir = fs::path(xdg) / "cliprt";
    } else if (const char* home = std::getenv("HOME"); home && *home) {
        dir = fs::path(home) / ".cache" / "cliprt";
    } else {
        return "";
    }
    std::ostringstream name;
    name << "vulkan-pipelines-" << std::hex << d.properties.vendorID << "-" << d.properties.deviceID << ".bin";
    return (dir / name.str()).string();
}

PipelineCache::PipelineCache(const Device& device, std::string path) : device_(device), path_(std::move(path)) {
    std::vector<unsigned char> file;
    if (!path_.empty()) {
        std::ifstream in(path_, std::ios::binary);
        if (in) file.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    VkPipelineCacheCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO;
    if (!file.empty()) {
        const std::string why = reject_reason(file, device.physical());
        if (why.empty()) {
            info.initialDataSize = file.size() - sizeof(FileHeader);
            info.pInitialData = file.data() + sizeof(FileHeader);
            load_status_ = "loaded " + std::to_string(info.initialDataSize) + " bytes";
        } else {
            load_status_ = "ignored " + path_ + ": " + why;
            dirty_ = true;  // replace it with a good one
        }
    }
    check(device.api().vkCreatePipelineCache(device.handle(), &info, nullptr, &cache_), "vkCreatePipelineCache");
}

PipelineCache::~PipelineCache() {
    if (dirty_) save();
    device_.api().vkDestroyPipelineCache(device_.handle(), cache_, nullptr);
}

bool PipelineCache::save() {
    if (path_.empty()) return false;
    size_t size = 0;
    if (device_.api().vkGetPipelineCacheData(device_.handle(), cache_, &size, nullptr) != VK_SUCCESS) return false;
    std::vector<unsigned char> data(size);
    if (device_.api().vkGetPipelineCacheData(device_.handle(), cache_, &size, data.data()) != VK_SUCCESS) return false;
    data.resize(size);
    FileHeader h = header_for(device_.physical());
    h.data_size = data.size();
    h.checksum = fnv1a(data.data(), data.size());
    std::error_code ec;
    const fs::path target(path_);
    if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
    const fs::path temp = target.string() + ".tmp" + std::to_string(reinterpret_cast<uintptr_t>(this));
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) return false;
        out.write(reinterpret_cast<const char*>(&h), sizeof h);
        out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
        if (!out) return false;
    }
    fs::rename(temp, target, ec);  // readers see the old file or the new one, never half of one
    if (ec) {
        fs::remove(temp, ec);
        return false;
    }
    dirty_ = false;
    return true;
}

}  // namespace cliprt::vk
