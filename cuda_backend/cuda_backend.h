// The CUDA backend: one device, one stream, one cuBLASLt handle and workspace. Buffers are
// cudaMalloc'd; a program is the forward captured as a CUDA graph (cuda_program.h).
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <memory>

#include "cliprt/backend.h"
#include "cuda_buffer.h"

namespace cliprt::cuda {

class CudaBackend : public Backend {
public:
    // device -1 picks the best one; storage is F32 or F16 (f32 accumulation either way).
    CudaBackend(int device, DType storage);
    ~CudaBackend() override;
    CudaBackend(const CudaBackend&) = delete;
    CudaBackend& operator=(const CudaBackend&) = delete;

    DeviceInfo device_info() const override { return info_; }
    DType float_storage_dtype() const override { return storage_; }

    std::unique_ptr<Buffer> allocate(uint64_t bytes) override;
    void upload(Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) override;
    void download(const Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) override;
    std::optional<std::string> unsupported_reason(const Graph& graph, const Node& node) const override;
    std::unique_ptr<Program> record(const Graph& graph, const std::vector<TensorArg>& args) override;

private:
    void use_device() const;

    int device_;
    DType storage_;
    DeviceInfo info_;
    cudaStream_t stream_ = nullptr;
    cublasLtHandle_t lt_ = nullptr;
    std::unique_ptr<CudaBuffer> workspace_;
};

}  // namespace cliprt::cuda
