// The fast CPU backend (`cpu`): the reference backend's buffers, thread pool and unsupported-op
// rules, with SIMD kernels chosen at run time for the processor (AVX-512, AVX2+FMA or portable
// C++), weights packed once into GEMM panels, fused attention, and f32 or bf16 weights. Ops with
// no fast kernel (embedding, concat, permute, pooling) run the reference kernels.
#pragma once

#include <memory>

#include "cpu/cpu_backend.h"
#include "cpu_fast/cpu_fast_kernels.h"
#include "cpu_fast/cpu_fast_packing.h"

namespace cliprt::cpu_fast {

class FastCpuBackend : public cpu::CpuBackend {
public:
    // weights: DType::F32 or DType::BF16 (Linear weights rounded to bf16 when packed), multiplied
    // the `bf16` way where the ISA is AVX-512 and the processor has it, else widened to f32.
    FastCpuBackend(int threads, Isa isa, DType weights, Bf16Path bf16 = default_bf16_path());

    DeviceInfo device_info() const override;
    std::unique_ptr<Buffer> allocate(uint64_t bytes) override;
    std::unique_ptr<Buffer> wrap_host(std::shared_ptr<const Tensor> host) override;

    const Kernels& kernels() const { return kernels_; }
    uint64_t packed_weight_bytes() const { return packs_->bytes(); }

protected:
    cpu::Step record_step(const Graph& graph, const NodeArgs& args) override;

private:
    const Kernels& kernels_;
    DType weights_;
    Bf16Path bf16_;
    WeightFormat format_;
    std::shared_ptr<PackCache> packs_;
};

}  // namespace cliprt::cpu_fast
