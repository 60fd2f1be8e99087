#include "cpu_fast/cpu_fast_backend.h"

#include <atomic>
#include <thread>

#include "cliprt/cpu_backend.h"
#include "cliprt/error.h"
#include "cpu/cpu_buffer.h"
#include "cpu_fast/cpu_fast_ops.h"

namespace cliprt {

std::unique_ptr<Backend> make_cpu_backend(int threads, DType weights) {
    if (threads < 0) fail("cpu backend: thread count ", threads, " is negative");
    if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
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

class FastProgram : public Program {
public:
    explicit FastProgram(std::vector<Step> steps) : steps_(std::move(steps)) {}
    void run() override {
        for (const Step& step : steps_) step();
    }
    int dispatch_count() const override { return static_cast<int>(steps_.size()); }
    int submit_count() const override { return 1; }

private:
    std::vector<Step> steps_;
};

Step record_fast(const FastArgs& a) {
    switch (a.node.op) {
        case OpKind::Linear:
            return record_linear(a);
        case OpKind::Conv2d:
            return record_conv2d(a);
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
        case OpKind::Embedding:
        case OpKind::Concat:
        case OpKind::Reshape:
        case OpKind::Permute:
        case OpKind::TokenPool:
            return {};  // data movement: the reference kernels are as fast as needed
    }
    return {};
}

}  // namespace

uint64_t buffer_id(const TensorArg& arg) {
    const auto* buffer = dynamic_cast<const FastBuffer*>(arg.buffer);
    if (buffer == nullptr) fail("cpu backend: buffer was not allocated by the cpu backend");
    return buffer->id();
}

FastCpuBackend::FastCpuBackend(int threads, Isa isa, DType weights)
    : cpu::CpuBackend(threads),
      kernels_(kernels_for(isa)),
      weights_(weights),
      format_(weights == DType::F32 ? WeightFormat::F32
              : isa == Isa::Avx512 && cpu_has_avx512_bf16() ? WeightFormat::Bf16Pairs
                                                            : WeightFormat::Bf16),
      packs_(std::make_shared<PackCache>()) {}

DeviceInfo FastCpuBackend::device_info() const {
    DeviceInfo info = cpu::CpuBackend::device_info();
    info.backend = "cpu";
    info.details.emplace_back("isa", isa_name(kernels_.isa));
    const char* format = format_ == WeightFormat::F32 ? "f32"
                         : format_ == WeightFormat::Bf16Pairs ? "bf16 (AVX512_BF16 dot products)"
                                                              : "bf16 (converted to f32 on load)";
    info.details.emplace_back("weights", format);
    return info;
}

std::unique_ptr<Buffer> FastCpuBackend::allocate(uint64_t bytes) {
    return std::make_unique<FastBuffer>(bytes, packs_);
}

std::unique_ptr<Buffer> FastCpuBackend::wrap_host(std::shared_ptr<const Tensor> host) {
    return std::make_unique<FastBuffer>(std::move(host), packs_);
}

std::unique_ptr<Program> FastCpuBackend::record(const Graph& graph, const std::vector<TensorArg>& args) {
    if (args.size() != graph.values().size())
        fail("cpu backend: ", args.size(), " tensor arguments for a graph of ", graph.values().size(), " values");
    std::vector<Step> steps;
    for (const Node& node : graph.nodes()) {
        const NodeArgs node_args = gather_node_args(node, args);
        if (node.op == OpKind::Reshape) {
            const TensorArg& in = node_args.inputs[0];
            if (in.buffer != node_args.output.buffer || in.offset != node_args.output.offset)
                fail("cpu backend: reshape '", node.name, "' does not share its input's storage");
            continue;
        }
        Step step = record_fast(FastArgs{node_args, graph, pool(), kernels_, *packs_, format_});
        if (!step) step = cpu::record_node(cpu::NodeArgs{node_args, pool()});
        steps.push_back(std::move(step));
    }
    return std::make_unique<FastProgram>(std::move(steps));
}

}  // namespace cpu_fast
}  // namespace cliprt
