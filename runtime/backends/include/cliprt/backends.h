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

}  // namespace cliprt
