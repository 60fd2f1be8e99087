// CUDA runtime and cuBLASLt status codes turned into cliprt::Error, naming the call that failed
// and quoting the library's own message.
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include "cliprt/error.h"

namespace cliprt::cuda {

inline void check(cudaError_t status, const char* call) {
    if (status != cudaSuccess) {
        fail("cuda backend: ", call, " failed: ", cudaGetErrorString(status), " (", cudaGetErrorName(status), ")");
    }
}

inline void check(cublasStatus_t status, const char* call) {
    if (status != CUBLAS_STATUS_SUCCESS) fail("cuda backend: ", call, " failed: ", cublasLtGetStatusString(status));
}

}  // namespace cliprt::cuda
