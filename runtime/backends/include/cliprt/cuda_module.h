// cliprt's loader of the CUDA module: where it looks for libcliprt_cuda.so, what it found, and the
// cuda backend through it. The module's side of the boundary is cliprt/cuda_module_abi.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cliprt/backends.h"
#include "cliprt/cuda_module_abi.h"

namespace cliprt {

// What the loader found.
struct CudaModuleStatus {
    std::vector<std::string> searched;  // candidate paths in search order
    std::string path;                   // the module file found, empty if none
    bool loaded = false;
    std::string load_error;  // dlerror() or the ABI mismatch, when not loaded
    CudaDeviceQuery query;   // filled when loaded

    bool device_available() const { return loaded && !query.devices.empty(); }
    // Empty when a device is available; otherwise one line saying why not. When the module
    // loaded, this is exactly the CUDA runtime's error string.
    std::string unavailable_reason() const;
};

// Candidate module paths, in search order: $CLIPRT_CUDA_MODULE (an explicit choice wins), next to
// the running executable, ../lib next to it, the install library dir, the build tree.
std::vector<std::string> cuda_module_candidates();

// Loads the first existing candidate (once per process: the module is never unloaded, since CUDA
// state and the code of live backend objects belong to it) and queries its devices.
CudaModuleStatus cuda_module_status();
// Like cuda_module_status() but from explicit candidates, without touching the process-wide
// module; for tests of the loader.
CudaModuleStatus probe_cuda_module(const std::vector<std::string>& candidates);

// The cuda backend through the module; throws Error with the reason when unavailable.
std::unique_ptr<Backend> create_cuda_backend(const BackendOptions& options);
// The cuda entry of backend_statuses().
BackendStatus cuda_backend_status();

}  // namespace cliprt
