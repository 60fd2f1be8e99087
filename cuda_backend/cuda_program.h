// A recorded forward: the steps of every node captured once into a CUDA graph on the backend's
// stream, replayed by run() with one launch and one wait.
#pragma once

#include <cuda_runtime_api.h>

#include <string>
#include <vector>

#include "cliprt/backend.h"
#include "cuda_ops.h"

namespace cliprt::cuda {

// An Embedding node whose ids are checked on every run.
struct IdCheck {
    std::string node;
    int64_t vocab = 0;
    const int32_t* ids = nullptr;  // device: the node's ids, to quote the bad one
};

class CudaProgram : public Program {
public:
    // One report slot per id check, reset at the start of the graph and copied to pinned host
    // memory at its end.
    CudaProgram(int device, cudaStream_t stream, std::vector<IdCheck> id_checks);
    ~CudaProgram() override;
    CudaProgram(const CudaProgram&) = delete;
    CudaProgram& operator=(const CudaProgram&) = delete;

    // The device slot of id check i, for the Embedding kernel.
    int* id_error_slot(size_t i) const { return device_slots_ + i; }
    // Enqueues every step under stream capture and instantiates the graph; node_names[i] names
    // step i in launch errors.
    void capture(const std::vector<Step>& steps, const std::vector<std::string>& node_names);

    void run() override;
    int dispatch_count() const override { return dispatches_; }
    int submit_count() const override { return 1; }

private:
    void enqueue_all(const std::vector<Step>& steps, const std::vector<std::string>& node_names);

    int device_;
    cudaStream_t stream_;
    std::vector<IdCheck> id_checks_;
    int* device_slots_ = nullptr;
    int* host_slots_ = nullptr;  // pinned
    cudaGraphExec_t exec_ = nullptr;
    int dispatches_ = 0;
};

}  // namespace cliprt::cuda
