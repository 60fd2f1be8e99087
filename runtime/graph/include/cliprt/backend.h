// The backend interface: what CPU, Vulkan and CUDA each implement.
//
// The executor owns the plan (where each value lives); a backend owns device memory and turns a
// graph plus that plan into a Program: recorded once (one command buffer on Vulkan, a captured
// graph on CUDA, a list of kernels on the CPU) and run many times.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cliprt/graph.h"

namespace cliprt {

struct DeviceInfo {
    std::string backend;  // "cpu", "vulkan", "cuda"
    std::string name;     // device name
    std::string type;     // "cpu", "discrete-gpu", "integrated-gpu", ...
    std::string driver;   // driver name and version, when there is one
    uint64_t memory_bytes = 0;
    bool fp16 = false;                                         // f16 storage and arithmetic available
    std::vector<std::pair<std::string, std::string>> details;  // extra facts for `cliprt info`
};

// Device memory; backends subclass it.
class Buffer {
public:
    virtual ~Buffer() = default;
    virtual uint64_t size() const = 0;
};

// Where a value lives during a program: buffer + byte offset, with its shape and storage dtype.
struct TensorArg {
    Buffer* buffer = nullptr;
    uint64_t offset = 0;
    Shape shape;
    DType dtype = DType::F32;
};

// The measured time of one step of a program (a kernel, a dispatch) over its runs so far.
struct StepTime {
    std::string node;    // the graph node it belongs to (a node may have several steps)
    std::string kernel;  // what ran: the op (CPU backends, CUDA) or the shader (Vulkan)
    double seconds = 0;  // summed over the runs
    double best = 0;     // its fastest run
};

// Per-step times of a program recorded with profiling on: CLIPRT_PROFILE (CPU backends, host
// timers around each step), CLIPRT_VULKAN_PROFILE (timestamp queries after each dispatch) or
// CLIPRT_CUDA_PROFILE (events after each step; CUDA only collects, it prints nothing) set when the
// program was recorded; the value "collect" times without printing anything to stderr.
struct ProgramProfile {
    int64_t runs = 0;   // 0: the program was not recorded with profiling on
    std::string clock;  // how the steps were timed
    std::vector<StepTime> steps;
};

// A Program may refer to its backend's resources (queues, thread pools): it must not outlive it.
class Program {
public:
    virtual ~Program() = default;
    // Executes the recorded forward and waits for it to finish.
    virtual void run() = 0;
    // Dispatches (kernel launches) and queue submissions per run, for `cliprt bench`.
    virtual int dispatch_count() const = 0;
    virtual int submit_count() const = 0;
    // The step times of the runs so far (runs 0 where profiling is off).
    virtual ProgramProfile profile() const { return {}; }
};

// The profiling setting of environment variable `name` for programs recorded now: off (unset or
// "0"), on and printing a summary to stderr, or on and collecting only ("collect").
enum class ProfileMode { Off, Print, Collect };
ProfileMode profile_mode(const char* name);

class Backend {
public:
    virtual ~Backend() = default;

    virtual DeviceInfo device_info() const = 0;
    std::string name() const { return device_info().backend; }

    // The storage dtype of float values on this backend (F32, or F16 when running in f16).
    virtual DType float_storage_dtype() const { return DType::F32; }

    virtual std::unique_ptr<Buffer> allocate(uint64_t bytes) = 0;
    // A read-only buffer over a host tensor already in the storage dtype, without a copy, for
    // backends whose memory is host memory (the CPU backends); null where the data must be uploaded.
    virtual std::unique_ptr<Buffer> wrap_host(std::shared_ptr<const Tensor> host) {
        (void)host;
        return nullptr;
    }
    // src/dst hold data already in the buffer's storage dtype.
    virtual void upload(Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) = 0;
    virtual void download(const Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) = 0;

    // Empty if the backend runs this node; otherwise why not (the executor names op and backend).
    virtual std::optional<std::string> unsupported_reason(const Graph& graph, const Node& node) const = 0;

    // Records the graph's nodes; args[v] says where value v lives (every value has one).
    virtual std::unique_ptr<Program> record(const Graph& graph, const std::vector<TensorArg>& args) = 0;
};

// How to create a backend (cliprt/backends.h, the CUDA module's entry point) and what is known
// about one that may be unavailable. Here, not in backends.h, so that the CUDA module, a backend
// below the registry, can take them without including the registry.
struct BackendOptions {
    int threads = 0;           // CPU threads; 0 = all cores
    int device = -1;           // device index for GPU backends; -1 = best
    DType dtype = DType::F32;  // float storage: F32 or F16
};

struct BackendStatus {
    std::string name;
    bool available = false;
    std::string reason;  // why not, when unavailable
    std::vector<DeviceInfo> devices;
};

}  // namespace cliprt
