// Device memory of the CUDA backend (cudaMalloc, zero-filled on the backend's stream) and typed device pointers to
// tensor arguments.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "cliprt/backend.h"

namespace cliprt::cuda {

class CudaBuffer : public Buffer {
public:
    // The zero fill is ordered on `stream` (the backend's non-blocking stream, which does not
    // wait for the legacy default stream) and finished before the constructor returns.
    CudaBuffer(int device, uint64_t bytes, cudaStream_t stream);
    ~CudaBuffer() override;
    CudaBuffer(const CudaBuffer&) = delete;
    CudaBuffer& operator=(const CudaBuffer&) = delete;

    uint64_t size() const override { return size_; }
    void* data() const { return data_; }

private:
    int device_;
    uint64_t size_;
    void* data_ = nullptr;
};

// The CudaBuffer behind a buffer of this backend (Error for another backend's buffer).
const CudaBuffer& cuda_buffer(const Buffer& buffer);

// The device address of a tensor argument; checks that it is a CUDA buffer and that the whole
// tensor lies inside it.
void* device_data(const TensorArg& arg);

}  // namespace cliprt::cuda
