// The boundary between cliprt and the CUDA module (libcliprt_cuda.so, built from cuda_backend/),
// which cliprt's loader (runtime/backends/cuda_module.cpp, cliprt/cuda_module.h) opens with
// dlopen() when the cuda backend is asked for, so the same cliprt binary starts and works on
// machines without the NVIDIA driver or the CUDA libraries.
//
// The module boundary is a C++ ABI: the module's extern "C" entry points take and return the
// cliprt types declared in cliprt/backend.h (Backend, BackendOptions, DeviceInfo, std::string).
// That is only sound when cliprt and the module are built by the same compiler and standard library
// with the same flags, which this project's one CMake build guarantees; the loader checks it by
// comparing kCudaModuleAbi (compiler version, libstdc++ release and ABI, interface version) and
// refuses a module built otherwise.
#pragma once

#include <string>
#include <vector>

#include "cliprt/backend.h"

#define CLIPRT_CUDA_STRINGIFY_(x) #x
#define CLIPRT_CUDA_STRINGIFY(x) CLIPRT_CUDA_STRINGIFY_(x)

namespace cliprt {

// Bump the leading number whenever backend.h or the entry points below change shape.
inline constexpr const char* kCudaModuleAbi =
    "cliprt-cuda-module-2 compiler " __VERSION__
#if defined(_GLIBCXX_RELEASE)
    " libstdc++ " CLIPRT_CUDA_STRINGIFY(_GLIBCXX_RELEASE) " cxx11abi " CLIPRT_CUDA_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#endif
    ;

inline constexpr const char* kCudaModuleFileName = "libcliprt_cuda.so";
inline constexpr const char* kCudaModuleEnvVar = "CLIPRT_CUDA_MODULE";

// What the module reports about the machine: CUDA devices, or the CUDA runtime's own reason why
// there are none (cudaGetErrorString of cudaGetDeviceCount's error).
struct CudaDeviceQuery {
    std::vector<DeviceInfo> devices;
    std::string error;
    std::string runtime_version;  // "13.0"
    std::string driver_version;   // "12.4", or "none"
};

}  // namespace cliprt

// The module's entry points (defined in cuda_backend/module_entry.cpp). None of them throws.
// The module builds with hidden visibility; these are the symbols it exports.
#define CLIPRT_CUDA_EXPORT __attribute__((visibility("default")))
extern "C" {
// kCudaModuleAbi as the module was compiled.
CLIPRT_CUDA_EXPORT const char* cliprt_cuda_module_abi();
CLIPRT_CUDA_EXPORT void cliprt_cuda_query_devices(cliprt::CudaDeviceQuery* out);
// A new backend owned by the caller, or null with *error set.
CLIPRT_CUDA_EXPORT cliprt::Backend* cliprt_cuda_create_backend(const cliprt::BackendOptions* options,
                                                               std::string* error);
}
