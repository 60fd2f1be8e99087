#include "cuda_buffer.h"

#include <cuda_runtime_api.h>

#include "cuda_check.h"

namespace cliprt::cuda {

CudaBuffer::CudaBuffer(int device, uint64_t bytes, cudaStream_t stream) : device_(device), size_(bytes) {
    check(cudaSetDevice(device_), "cudaSetDevice");
    // At least one byte so every buffer has a real address.
    check(cudaMalloc(&data_, bytes == 0 ? 1 : bytes), "cudaMalloc");
    try {
        check(cudaMemsetAsync(data_, 0, bytes, stream), "cudaMemsetAsync");
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize (zero fill)");
    } catch (...) {
        cudaFree(data_);
        throw;
    }
}

CudaBuffer::~CudaBuffer() {
    // Errors cannot be reported from a destructor; a failing free leaks at worst.
    if (cudaSetDevice(device_) == cudaSuccess) cudaFree(data_);
}

const CudaBuffer& cuda_buffer(const Buffer& buffer) {
    const auto* cuda = dynamic_cast<const CudaBuffer*>(&buffer);
    if (cuda == nullptr) fail("cuda backend: buffer was not allocated by the cuda backend");
    return *cuda;
}

void* device_data(const TensorArg& arg) {
    if (arg.buffer == nullptr) fail("cuda backend: tensor ", arg.shape.str(), " has no buffer");
    const CudaBuffer& buffer = cuda_buffer(*arg.buffer);
    const uint64_t bytes = static_cast<uint64_t>(arg.shape.numel()) * dtype_size(arg.dtype);
    if (arg.offset > buffer.size() || bytes > buffer.size() - arg.offset) {
        fail("cuda backend: tensor ", arg.shape.str(), " at byte offset ", arg.offset, " exceeds its buffer of ",
             buffer.size(), " bytes");
    }
    return static_cast<unsigned char*>(buffer.data()) + arg.offset;
}

}  // namespace cliprt::cuda
