#include "cpu_fast/cpu_fast_backend.h"

#include <atomic>

#include "cliprt/cpu_backend.h"
#include "cliprt/error.h"
#include "cpu/cpu_buffer.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt {

std::unique_ptr<Backend> make_cpu_backend(int threads, DType weights) {
    threads = cpu::resolve_threads(threads);
    if (weights != DType::F32 && weights != DType::BF16)
        fail("the cpu backend runs f32 or bf16 weights (asked for ", dtype_name(weights), ")");
    return std::make_unique<cpu_fast::FastCpuBackend>(threads, cpu_fast::detected_isa(), weights);
}

namespace cpu_fast {

namespace {

// A host buffer with an id that is never reused, so packed copies of its weights can be cached
// and dropped with it.
class FastBuffer : public cpu::CpuBuffer {
public:
    FastBuffer(uint64_t bytes, std::shared_ptr<PackCache> packs)
        : cpu::CpuBuffer(bytes), id_(next_id_.fetch_add(1)), packs_(std::move(packs)) {}
    FastBuffer(std::shared_ptr<const Tensor> host, std::shared_ptr<PackCache> packs)
        : cpu::CpuBuffer(std::move(host)), id_(next_id_.fetch_add(1)), packs_(std::move(packs)) {}
    ~FastBuffer() override { packs_->drop_buffer(id_); }
    uint64_t id() const { return id_; }

private:
    static inline std::atomic<uint64_t> next_id_{1};
    uint64_t id_;
    std::shared_ptr<PackCache> packs_;
};

Step record_fast(const FastArgs& a) {
    switch (a.node.op) {
        case OpKind::Linear:
            return record_linear(a);
        case OpKind::Conv2d:
            return record_conv2d(a);
        case OpKind::GroupedConv2d:
            return record_grouped_conv2d(a);
        case OpKind::Attention:
            return record_attention(a);
        case OpKind::LayerNorm:
            return record_layer_norm(a);
        case OpKind::Softmax:
            return record_softmax(a);
        case OpKind::L2Normalize:
            return record_l2_normalize(a);
        case OpKind::Unary:
            return record_unary(a);
        case OpKind::Binary:
            return record_binary(a);
        case OpKind::AvgPool2d:
            return record_avg_pool2d(a);
        case OpKind::Embedding:
        case OpKind::Concat:
        case OpKind::Reshape:
        case OpKind::Permute:
        case OpKind::TokenPool:
            return {};  // data movement: the reference kernels are as fast as needed
        case OpKind::Tanh:
            return {};  // only on pooled rows (BERT's pooler): the reference kernel is enough
    }
    return {};
}

WeightFormat weight_format(const Kernels& kernels, DType weights, Bf16Path bf16) {
    if (weights == DType::F32) return WeightFormat::F32;
    if (kernels.isa != Isa::Avx512) return WeightFormat::Bf16;
    if (bf16 == Bf16Path::Amx && amx_usable() && kernels.gemm_bf16_amx != nullptr) return WeightFormat::Bf16Amx;
    if (bf16 == Bf16Path::DotProducts && cpu_has_avx512_bf16()) return WeightFormat::Bf16Pairs;
    return WeightFormat::Bf16;
}

const char* weight_format_name(WeightFormat format) {
    switch (format) {
        case WeightFormat::F32:
            return "f32";
        case WeightFormat::Bf16Amx:
            return "bf16 (AMX tiles)";
        case WeightFormat::Bf16Pairs:
            return "bf16 (AVX512_BF16 dot products)";
        case WeightFormat::Bf16:
            return "bf16 (widened to f32)";
        case WeightFormat::F32ConvTaps:
        case WeightFormat::Bf16AmxRows:
        case WeightFormat::F32Winograd2:
        case WeightFormat::F32Winograd4:
            break;
    }
    return "?";
}

}  // namespace

uint64_t buffer_id(const TensorArg& arg) {
    const auto* buffer = dynamic_cast<const FastBuffer*>(arg.buffer);
    if (buffer == nullptr) fail("cpu backend: buffer was not allocated by the cpu backend");
    return buffer->id();
}

FastCpuBackend::FastCpuBackend(int threads, Isa isa, DType weights, Bf16Path bf16)
    : cpu::CpuBackend(threads),
      kernels_(kernels_for(isa)),
      weights_(weights),
      bf16_(bf16),
      format_(weight_format(kernels_, weights, bf16)),
      packs_(std::make_shared<PackCache>()) {}

DeviceInfo FastCpuBackend::device_info() const {
    DeviceInfo info = cpu::CpuBackend::device_info();
    info.backend = "cpu";
    info.details.emplace_back("isa", isa_name(kernels_.isa));
    info.details.emplace_back("weights", weight_format_name(format_));
    // What --dtype bf16 would run on this processor.
    info.details.emplace_back("bf16", weight_format_name(weight_format(kernels_, DType::BF16, bf16_)));
    return info;
}

std::unique_ptr<Buffer> FastCpuBackend::allocate(uint64_t bytes) { return std::make_unique<FastBuffer>(bytes, packs_); }

std::unique_ptr<Buffer> FastCpuBackend::wrap_host(std::shared_ptr<const Tensor> host) {
    return std::make_unique<FastBuffer>(std::move(host), packs_);
}

Step FastCpuBackend::record_step(const Graph& graph, const NodeArgs& args) {
    Step step = record_fast(FastArgs{args, graph, pool(), kernels_, *packs_, format_});
    return step ? step : cpu::CpuBackend::record_step(graph, args);
}

}  // namespace cpu_fast
}  // namespace cliprt
