// The module's exported entry points (declared in cliprt/cuda_module.h). Nothing may escape them
// as an exception: the loader calls them before it has a backend to blame.
#include "cliprt/cuda_module_abi.h"
#include "cuda_backend.h"
#include "cuda_device.h"

const char* cliprt_cuda_module_abi() { return cliprt::kCudaModuleAbi; }

void cliprt_cuda_query_devices(cliprt::CudaDeviceQuery* out) {
    try {
        *out = cliprt::cuda::query_devices();
    } catch (const std::exception& e) {
        out->error = e.what();
    }
}

cliprt::Backend* cliprt_cuda_create_backend(const cliprt::BackendOptions* options, std::string* error) {
    try {
        return new cliprt::cuda::CudaBackend(options->device, options->dtype);
    } catch (const std::exception& e) {
        *error = e.what();
    } catch (...) {
        *error = "unknown error";
    }
    return nullptr;
}
