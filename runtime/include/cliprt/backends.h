// Creating backends by name: "cpu", "vulkan", "cuda", or "auto" (the best available device,
// falling back to the CPU with a note saying why).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cliprt/backend.h"

namespace cliprt {

struct BackendOptions {
    int threads = 0;             // CPU threads; 0 = all cores
    int device = -1;             // device index for GPU backends; -1 = best
    DType dtype = DType::F32;    // float storage: F32 or F16
};

struct BackendStatus {
    std::string name;
    bool available = false;
    std::string reason;          // why not, when unavailable
    std::vector<DeviceInfo> devices;
};

// Throws Error naming the backend and the reason when it cannot be created. For "auto", `note`
// (if given) receives a line explaining a fallback.
std::unique_ptr<Backend> create_backend(const std::string& name, const BackendOptions& options = {},
                                        std::string* note = nullptr);
// Every backend this build knows, with its devices or the reason it is unavailable.
std::vector<BackendStatus> backend_statuses();

}  // namespace cliprt
