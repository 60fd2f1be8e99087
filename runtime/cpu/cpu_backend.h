// The CPU backend: host buffers, and programs that are lists of per-node steps run in order on
// the backend's thread pool.
#pragma once

#include "cliprt/backend.h"
#include "cpu/thread_pool.h"

namespace cliprt::cpu {

class CpuBackend : public Backend {
public:
    explicit CpuBackend(int threads);

    DeviceInfo device_info() const override;
    std::unique_ptr<Buffer> allocate(uint64_t bytes) override;
    std::unique_ptr<Buffer> wrap_host(std::shared_ptr<const Tensor> host) override;
    void upload(Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) override;
    void download(const Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) override;
    std::optional<std::string> unsupported_reason(const Graph& graph, const Node& node) const override;
    // Programs use this backend's thread pool: they must not outlive it.
    std::unique_ptr<Program> record(const Graph& graph, const std::vector<TensorArg>& args) override;

protected:
    ThreadPool& pool() { return pool_; }
    const ThreadPool& pool() const { return pool_; }

private:
    ThreadPool pool_;
};

}  // namespace cliprt::cpu
