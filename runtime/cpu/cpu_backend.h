// The CPU backend: host buffers, and programs that are lists of per-node steps run in order on
// the backend's thread pool.
#pragma once

#include <functional>

#include "cliprt/backend.h"
#include "cliprt/op_args.h"
#include "cpu/thread_pool.h"

namespace cliprt::cpu {

using Step = std::function<void()>;

// threads = 0: one per hardware thread; negative is an error.
int resolve_threads(int threads);

class CpuBackend : public Backend {
public:
    explicit CpuBackend(int threads);

    DeviceInfo device_info() const override;
    std::unique_ptr<Buffer> allocate(uint64_t bytes) override;
    std::unique_ptr<Buffer> wrap_host(std::shared_ptr<const Tensor> host) override;
    void upload(Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) override;
    void download(const Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) override;
    std::optional<std::string> unsupported_reason(const Graph& graph, const Node& node) const override;
    // Programs use this backend's thread pool: they must not outlive it. Each node but a reshape
    // (a view) becomes one step from record_step. With CLIPRT_PROFILE=1 a program prints the time
    // of its steps per op kind to stderr when it is destroyed.
    std::unique_ptr<Program> record(const Graph& graph, const std::vector<TensorArg>& args) override;

protected:
    // The step that runs one node; the fast backend overrides it with its kernels.
    virtual Step record_step(const Graph& graph, const cliprt::NodeArgs& args);

    ThreadPool& pool() { return pool_; }
    const ThreadPool& pool() const { return pool_; }

private:
    ThreadPool pool_;
};

}  // namespace cliprt::cpu
