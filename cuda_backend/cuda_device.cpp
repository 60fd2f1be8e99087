#include "cuda_device.h"

#include <cuda_runtime_api.h>

#include <string>

#include "cuda_check.h"

namespace cliprt::cuda {

namespace {

// CUDA encodes versions as 1000 * major + 10 * minor.
std::string version_string(int version) {
    return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

int compute_capability(const cudaDeviceProp& prop) { return prop.major * 10 + prop.minor; }

cudaDeviceProp properties(int device) {
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    return prop;
}

}  // namespace

DeviceInfo describe_device(int device) {
    const cudaDeviceProp prop = properties(device);
    int driver = 0;
    int runtime = 0;
    check(cudaDriverGetVersion(&driver), "cudaDriverGetVersion");
    check(cudaRuntimeGetVersion(&runtime), "cudaRuntimeGetVersion");
    DeviceInfo info;
    info.backend = "cuda";
    info.name = prop.name;
    info.type = prop.integrated ? "integrated-gpu" : "discrete-gpu";
    info.driver = "CUDA driver " + version_string(driver);
    info.memory_bytes = prop.totalGlobalMem;
    info.fp16 = true;  // every architecture the module is built for (sm_75+) has f16 arithmetic
    info.details.emplace_back("compute capability", std::to_string(prop.major) + "." + std::to_string(prop.minor));
    info.details.emplace_back("multiprocessors", std::to_string(prop.multiProcessorCount));
    info.details.emplace_back("cuda runtime", version_string(runtime));
    if (compute_capability(prop) < kMinComputeCapability) {
        info.details.emplace_back("unsupported", "the cuda module is built for compute capability 7.5 and newer");
    }
    return info;
}

CudaDeviceQuery query_devices() {
    CudaDeviceQuery out;
    int version = 0;
    if (cudaRuntimeGetVersion(&version) == cudaSuccess) out.runtime_version = version_string(version);
    out.driver_version =
        cudaDriverGetVersion(&version) == cudaSuccess && version > 0 ? version_string(version) : "none";
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
        out.error = cudaGetErrorString(status);
        return out;
    }
    if (count == 0) {
        out.error = cudaGetErrorString(cudaErrorNoDevice);
        return out;
    }
    try {
        for (int d = 0; d < count; ++d) out.devices.push_back(describe_device(d));
    } catch (const std::exception& e) {
        out.devices.clear();
        out.error = e.what();
    }
    return out;
}

int choose_device(int requested) {
    int count = 0;
    check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    if (requested >= count) fail("cuda backend: no device ", requested, " (", count, " CUDA devices)");
    if (requested >= 0) {
        const cudaDeviceProp prop = properties(requested);
        if (compute_capability(prop) < kMinComputeCapability) {
            fail("cuda backend: device ", requested, " (", prop.name, ") has compute capability ", prop.major, ".",
                 prop.minor, "; the cuda module is built for 7.5 and newer");
        }
        return requested;
    }
    int best = -1;
    int best_sms = 0;
    for (int d = 0; d < count; ++d) {
        const cudaDeviceProp prop = properties(d);
        if (compute_capability(prop) >= kMinComputeCapability && prop.multiProcessorCount > best_sms) {
            best = d;
            best_sms = prop.multiProcessorCount;
        }
    }
    if (best < 0) fail("cuda backend: no CUDA device has compute capability 7.5 or newer");
    return best;
}

}  // namespace cliprt::cuda
