// A VkPipelineCache persisted on disk, so shader compilation by the driver happens once per
// machine. The file starts with cliprt's own header (vendor, device, driver version, pipeline-cache
// UUID, size and checksum of the data); a file made by another device or driver, or a damaged one,
// is ignored rather than handed to the driver.
#pragma once

#include <string>

#include "vulkan/vulkan_device.h"

namespace cliprt::vk {

class PipelineCache {
public:
    // path: the cache file; "" keeps the cache in memory only.
    PipelineCache(const Device& device, std::string path);
    ~PipelineCache();  // saves when pipelines were added
    PipelineCache(const PipelineCache&) = delete;
    PipelineCache& operator=(const PipelineCache&) = delete;

    VkPipelineCache handle() const { return cache_; }
    void mark_dirty() { dirty_ = true; }
    // Writes the file (atomically, via a temporary and rename); false if it could not.
    bool save();
    // What happened to the file at load: "loaded N bytes", "none", "ignored: ...".
    const std::string& load_status() const { return load_status_; }
    const std::string& path() const { return path_; }

    // CLIPRT_VULKAN_PIPELINE_CACHE (a file, or "off"), else $XDG_CACHE_HOME/cliprt or
    // ~/.cache/cliprt, with the device ids in the file name; "" when there is nowhere to put it.
    static std::string default_path(const PhysicalDevice& device);

private:
    const Device& device_;
    std::string path_;
    VkPipelineCache cache_ = VK_NULL_HANDLE;
    bool dirty_ = false;
    std::string load_status_ = "none";
};

}  // namespace cliprt::vk
