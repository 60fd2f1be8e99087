// A recorded forward: the steps of every node captured once into a CUDA graph on the backend's
// stream, replayed by run() with one launch and one wait. With CLIPRT_CUDA_PROFILE set when it is
// recorded (`cliprt profile` sets it), the steps are kept instead and launched one by one on each
// run, with a CUDA event after each, for profile(): per-step times that include the launch gaps a
// graph would hide, so the sum is an upper bound on the graph's time.
#pragma once

#include <cuda_runtime_api.h>

#include <functional>
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
    // step i in launch errors, op_names[i] its op in profiles.
    void capture(const std::vector<Step>& steps, const std::vector<std::string>& node_names,
                 const std::vector<std::string>& op_names);

    void run() override;
    int dispatch_count() const override { return dispatches_; }
    int submit_count() const override { return 1; }
    ProgramProfile profile() const override;

private:
    // Launches the steps in order between the id-check slots' reset and their copy to the host;
    // after_step(i), when given, runs after step i is enqueued (the profile's events).
    void enqueue_all(const std::vector<Step>& steps, const std::vector<std::string>& node_names,
                     const std::function<void(size_t)>& after_step = {});
    void run_timed();
    void check_ids() const;

    int device_;
    cudaStream_t stream_;
    std::vector<IdCheck> id_checks_;
    int* device_slots_ = nullptr;
    int* host_slots_ = nullptr;  // pinned
    cudaGraphExec_t exec_ = nullptr;
    int dispatches_ = 0;

    // Profiling (empty unless CLIPRT_CUDA_PROFILE was set at capture).
    bool timed_ = false;
    std::vector<Step> steps_;  // the steps that launch work, with their nodes' names
    std::vector<std::string> step_nodes_, step_ops_;
    std::vector<cudaEvent_t> events_;  // one before the first step, one after each
    std::vector<double> seconds_, best_;
    int64_t timed_runs_ = 0;
};

}  // namespace cliprt::cuda
