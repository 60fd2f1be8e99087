// Creating backends by name: "cpu", "vulkan", "cuda", or "auto" (the best available device,
// falling back to the CPU with a note saying why). BackendOptions and BackendStatus are in backend.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cliprt/backend.h"

namespace cliprt {

// Throws Error naming the backend and the reason when it cannot be created. For "auto", `note`
// (if given) receives a line explaining a fallback.
std::unique_ptr<Backend> create_backend(const std::string& name, const BackendOptions& options = {},
                                        std::string* note = nullptr);
// Every backend this build knows, with its devices or the reason it is unavailable.
std::vector<BackendStatus> backend_statuses();

// Start-up work a backend has done so far, for `cliprt bench`: Vulkan's compute pipelines (the
// other backends create none and report the defaults).
struct StartupStats {
    int pipelines = 0;                  // pipelines created
    double pipeline_seconds = 0;        // wall time spent creating them
    std::string pipeline_cache;         // "cold", "warm" (loaded from its file), "off" (no file), "" (no pipelines)
    std::string pipeline_cache_detail;  // what happened to the cache file at start ("loaded 88 bytes from ...")
    int pipeline_cache_hits = -1;       // pipelines the driver reported as found in the cache; -1: not reported
};
StartupStats startup_stats(const Backend& backend);

}  // namespace cliprt
