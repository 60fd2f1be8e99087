#include "cuda_program.h"

#include <algorithm>

#include "cuda_check.h"

namespace cliprt::cuda {

namespace {

// What cudaMemset(0x7f) leaves in each slot: larger than any position, so "no error".
constexpr int kNoIdError = 0x7f7f7f7f;

}  // namespace

CudaProgram::CudaProgram(int device, cudaStream_t stream, std::vector<IdCheck> id_checks)
    : device_(device), stream_(stream), id_checks_(std::move(id_checks)) {
    if (id_checks_.empty()) return;
    check(cudaSetDevice(device_), "cudaSetDevice");
    check(cudaMalloc(reinterpret_cast<void**>(&device_slots_), id_checks_.size() * sizeof(int)), "cudaMalloc");
    check(cudaMallocHost(reinterpret_cast<void**>(&host_slots_), id_checks_.size() * sizeof(int)), "cudaMallocHost");
}

CudaProgram::~CudaProgram() {
    // Destructors cannot report errors; at worst something leaks.
    cudaSetDevice(device_);
    if (exec_ != nullptr) cudaGraphExecDestroy(exec_);
    for (cudaEvent_t event : events_) cudaEventDestroy(event);
    if (device_slots_ != nullptr) cudaFree(device_slots_);
    if (host_slots_ != nullptr) cudaFreeHost(host_slots_);
}

void CudaProgram::enqueue_all(const std::vector<Step>& steps, const std::vector<std::string>& node_names,
                              const std::function<void(size_t)>& after_step) {
    const size_t slot_bytes = id_checks_.size() * sizeof(int);
    if (slot_bytes > 0) check(cudaMemsetAsync(device_slots_, 0x7f, slot_bytes, stream_), "cudaMemsetAsync");
    for (size_t i = 0; i < steps.size(); ++i) {
        if (!steps[i].enqueue) continue;
        steps[i].enqueue(stream_);
        // Launch configuration errors surface here, while the node is still known.
        const cudaError_t status = cudaGetLastError();
        if (status != cudaSuccess) {
            fail("cuda backend: node '", node_names[i], "': kernel launch failed: ", cudaGetErrorString(status));
        }
        if (after_step) after_step(i);
    }
    if (slot_bytes > 0) {
        check(cudaMemcpyAsync(host_slots_, device_slots_, slot_bytes, cudaMemcpyDeviceToHost, stream_),
              "cudaMemcpyAsync");
    }
}

void CudaProgram::capture(const std::vector<Step>& steps, const std::vector<std::string>& node_names,
                          const std::vector<std::string>& op_names) {
    check(cudaSetDevice(device_), "cudaSetDevice");
    dispatches_ = 0;
    for (const Step& step : steps) dispatches_ += step.enqueue ? step.kernels : 0;
    bool any_work = !id_checks_.empty();
    for (const Step& step : steps) any_work = any_work || static_cast<bool>(step.enqueue);
    if (!any_work) return;  // only views: nothing to replay
    if (profile_mode("CLIPRT_CUDA_PROFILE") != ProfileMode::Off) {
        timed_ = true;
        for (size_t i = 0; i < steps.size(); ++i) {
            if (!steps[i].enqueue) continue;
            steps_.push_back(steps[i]);
            step_nodes_.push_back(node_names[i]);
            step_ops_.push_back(op_names[i]);
        }
        events_.assign(steps_.size() + 1, nullptr);
        for (cudaEvent_t& event : events_) check(cudaEventCreate(&event), "cudaEventCreate");
        seconds_.assign(steps_.size(), 0.0);
        best_.assign(steps_.size(), 1e30);
        return;
    }
    check(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
    cudaGraph_t graph = nullptr;
    try {
        enqueue_all(steps, node_names);
    } catch (...) {
        if (cudaStreamEndCapture(stream_, &graph) == cudaSuccess && graph != nullptr) cudaGraphDestroy(graph);
        throw;
    }
    check(cudaStreamEndCapture(stream_, &graph), "cudaStreamEndCapture");
    const cudaError_t status = cudaGraphInstantiate(&exec_, graph, 0);
    cudaGraphDestroy(graph);
    check(status, "cudaGraphInstantiate");
}

void CudaProgram::run() {
    check(cudaSetDevice(device_), "cudaSetDevice");
    if (timed_) {
        run_timed();
    } else {
        if (exec_ != nullptr) check(cudaGraphLaunch(exec_, stream_), "cudaGraphLaunch");
        check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (running the forward)");
    }
    check_ids();
}

void CudaProgram::run_timed() {
    check(cudaEventRecord(events_[0], stream_), "cudaEventRecord");
    enqueue_all(steps_, step_nodes_,
                [&](size_t i) { check(cudaEventRecord(events_[i + 1], stream_), "cudaEventRecord"); });
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize (running the forward)");
    for (size_t i = 0; i < steps_.size(); ++i) {
        float ms = 0;
        check(cudaEventElapsedTime(&ms, events_[i], events_[i + 1]), "cudaEventElapsedTime");
        seconds_[i] += 1e-3 * ms;
        best_[i] = std::min(best_[i], 1e-3 * ms);
    }
    ++timed_runs_;
}

void CudaProgram::check_ids() const {
    for (size_t i = 0; i < id_checks_.size(); ++i) {
        if (host_slots_[i] == kNoIdError) continue;
        const int position = host_slots_[i];
        int32_t id = 0;
        check(cudaMemcpy(&id, id_checks_[i].ids + position, sizeof(id), cudaMemcpyDeviceToHost), "cudaMemcpy (id)");
        fail("cuda backend: node '", id_checks_[i].node, "': id ", id, " at position ", position,
             " is outside the vocabulary [0, ", id_checks_[i].vocab, ")");
    }
}

ProgramProfile CudaProgram::profile() const {
    ProgramProfile p;
    if (!timed_) return p;
    p.runs = timed_runs_;
    p.clock = "CUDA events after each step, steps launched one by one (no graph)";
    for (size_t i = 0; i < steps_.size(); ++i)
        p.steps.push_back(StepTime{step_nodes_[i], step_ops_[i], seconds_[i], timed_runs_ > 0 ? best_[i] : 0.0});
    return p;
}

}  // namespace cliprt::cuda
