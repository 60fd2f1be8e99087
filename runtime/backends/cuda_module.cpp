// Finds and dlopen()s the CUDA backend module; see cuda_module.h for the ABI contract.
#include "cliprt/cuda_module.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

#include "cliprt/error.h"

namespace cliprt {

namespace fs = std::filesystem;

namespace {

using AbiFn = const char* (*)();
using QueryFn = void (*)(CudaDeviceQuery*);
using CreateFn = Backend* (*)(const BackendOptions*, std::string*);

struct LoadedModule {
    CudaModuleStatus status;
    CreateFn create = nullptr;
};

template <typename Fn>
Fn symbol(void* handle, const char* name) {
    return reinterpret_cast<Fn>(dlsym(handle, name));
}

LoadedModule load(const std::vector<std::string>& candidates) {
    LoadedModule m;
    m.status.searched = candidates;
    for (const std::string& path : candidates) {
        std::error_code ec;
        if (fs::is_regular_file(path, ec)) {
            m.status.path = path;
            break;
        }
    }
    if (m.status.path.empty()) return m;
    // RTLD_LOCAL: the module's symbols (and CUDA's) stay out of the global namespace.
    void* handle = dlopen(m.status.path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* err = dlerror();
        m.status.load_error = err != nullptr ? err : "dlopen failed";
        return m;
    }
    const auto abi = symbol<AbiFn>(handle, "cliprt_cuda_module_abi");
    const auto query = symbol<QueryFn>(handle, "cliprt_cuda_query_devices");
    m.create = symbol<CreateFn>(handle, "cliprt_cuda_create_backend");
    if (abi == nullptr || query == nullptr || m.create == nullptr) {
        m.status.load_error = "not a cliprt cuda module (entry points missing)";
    } else if (std::string(abi()) != kCudaModuleAbi) {
        m.status.load_error =
            std::string("built for another cliprt: module ABI '") + abi() + "', this cliprt '" + kCudaModuleAbi + "'";
    }
    if (!m.status.load_error.empty()) {
        m.create = nullptr;
        dlclose(handle);  // nothing of it is in use yet
        return m;
    }
    m.status.loaded = true;
    query(&m.status.query);
    return m;  // the handle is deliberately never closed
}

// The process-wide module, loaded on first use.
const LoadedModule& process_module() {
    static const LoadedModule module = load(cuda_module_candidates());
    return module;
}

std::string executable_dir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : exe.parent_path().string();
}

}  // namespace

std::string CudaModuleStatus::unavailable_reason() const {
    if (device_available()) return "";
    if (path.empty()) {
        std::string list;
        for (const std::string& s : searched) list += (list.empty() ? "" : ", ") + s;
        return std::string("cuda module ") + kCudaModuleFileName + " not found (searched " + list + ")";
    }
    if (!loaded) return "cuda module " + path + " failed to load: " + load_error;
    return query.error.empty() ? "the CUDA runtime reports no device" : query.error;
}

std::vector<std::string> cuda_module_candidates() {
    std::vector<std::string> out;
    if (const char* env = std::getenv(kCudaModuleEnvVar); env != nullptr && *env != '\0') out.emplace_back(env);
    const std::string exe_dir = executable_dir();
    if (!exe_dir.empty()) {
        out.push_back((fs::path(exe_dir) / kCudaModuleFileName).string());
        out.push_back((fs::path(exe_dir) / ".." / "lib" / kCudaModuleFileName).lexically_normal().string());
    }
#ifdef CLIPRT_CUDA_MODULE_INSTALL_DIR
    out.push_back((fs::path(CLIPRT_CUDA_MODULE_INSTALL_DIR) / kCudaModuleFileName).string());
#endif
#ifdef CLIPRT_CUDA_MODULE_BUILD_DIR
    // Lets binaries elsewhere in the build tree (tests/) find the module without installing it.
    out.push_back((fs::path(CLIPRT_CUDA_MODULE_BUILD_DIR) / kCudaModuleFileName).string());
#endif
    return out;
}

CudaModuleStatus cuda_module_status() { return process_module().status; }

CudaModuleStatus probe_cuda_module(const std::vector<std::string>& candidates) { return load(candidates).status; }

std::unique_ptr<Backend> create_cuda_backend(const BackendOptions& options) {
    const LoadedModule& m = process_module();
    if (!m.status.loaded) fail("the cuda backend is unavailable: ", m.status.unavailable_reason());
    if (!m.status.device_available())
        fail("the cuda backend is unavailable: no CUDA device: ", m.status.unavailable_reason());
    std::string error;
    Backend* backend = m.create(&options, &error);
    if (backend == nullptr) fail("cuda backend: ", error);
    return std::unique_ptr<Backend>(backend);
}

BackendStatus cuda_backend_status() {
    const CudaModuleStatus s = cuda_module_status();
    BackendStatus out;
    out.name = "cuda";
    out.available = s.device_available();
    if (s.loaded && !out.available) {
        out.reason = "module " + s.path + " loaded; no CUDA device: " + s.unavailable_reason() + " (CUDA driver " +
                     s.query.driver_version + ", runtime " + s.query.runtime_version + ")";
    } else {
        out.reason = s.unavailable_reason();
    }
    out.devices = s.query.devices;
    for (DeviceInfo& d : out.devices) d.details.emplace_back("module", s.path);
    return out;
}

}  // namespace cliprt
