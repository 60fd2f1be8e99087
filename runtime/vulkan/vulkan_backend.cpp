// The Backend implementation: buffers, transfers, which nodes the shaders handle, and recording a
// graph into a VulkanProgram by handing each node to its op family's recorder.
#include "cliprt/vulkan_backend.h"

#include "cliprt/error.h"
#include "vulkan/vulkan_batch_slices.h"
#include "vulkan/vulkan_context.h"
#include "vulkan/vulkan_ops.h"
#include "vulkan/vulkan_program.h"

namespace cliprt {

namespace {

using vk::Context;

class VulkanBackendImpl final : public VulkanBackend {
public:
    explicit VulkanBackendImpl(const VulkanOptions& options) : context_(std::make_shared<Context>(options)) {}

    DeviceInfo device_info() const override {
        DeviceInfo info = vk::describe(context_->physical);
        info.details.emplace_back("kernels", context_->variants.describe());
        info.details.emplace_back("storage dtype", dtype_name(context_->float_storage));
        info.details.emplace_back("transfers", context_->transfer->uses_staging() ? "staging buffer" : "mapped memory");
        info.details.emplace_back("pipeline cache", context_->pipelines->cache().path().empty()
                                                        ? std::string("in memory only")
                                                        : context_->pipelines->cache().path() + " (" +
                                                              context_->pipelines->cache().load_status() + ")");
        return info;
    }

    DType float_storage_dtype() const override { return context_->float_storage; }

    std::unique_ptr<Buffer> allocate(uint64_t bytes) override {
        return std::make_unique<vk::VulkanBuffer>(context_, *context_->device, *context_->allocator, bytes,
                                                  vk::MemoryUse::Device);
    }

    void upload(Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) override {
        context_->transfer->upload(vk::vulkan_buffer(buffer), offset, src, bytes);
    }

    void download(const Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) override {
        context_->transfer->download(vk::vulkan_buffer(buffer), offset, dst, bytes);
    }

    std::optional<std::string> unsupported_reason(const Graph& graph, const Node& node) const override {
        std::vector<ValueId> values = node.inputs;
        values.push_back(node.output);
        for (size_t i = 0; i < values.size(); ++i) {
            const Value& v = graph.value(values[i]);
            const DType stored = v.dtype == DType::F32 ? context_->float_storage : v.dtype;
            if (v.dtype != DType::F32 && v.dtype != DType::I32)
                return std::string("values of dtype ") + dtype_name(v.dtype);
            const uint64_t bytes = static_cast<uint64_t>(v.shape.numel()) * dtype_size(stored);
            if (bytes > context_->max_binding && !bound_in_pieces(node, i) && batch_slices(graph, node).rows == 0) {
                return "tensor '" + v.name + "' " + v.shape.str() + " has " + std::to_string(bytes) +
                       " bytes, more than one binding may cover (" + std::to_string(context_->max_binding) +
                       "; the device's maxStorageBufferRange is " +
                       std::to_string(context_->device->limits().maxStorageBufferRange) +
                       "), and it can be bound neither in pieces (a linear's operands, an embedding's table) nor "
                       "by slices of the batch";
            }
        }
        switch (node.op) {
            case OpKind::Attention:
                return vk::attention_unsupported(graph, node);
            case OpKind::Permute:
            case OpKind::Concat:
            case OpKind::Binary:
                return vk::strided_unsupported(graph, node);
            default:
                return std::nullopt;
        }
    }

    std::unique_ptr<Program> record(const Graph& graph, const std::vector<TensorArg>& args) override {
        if (args.size() != graph.values().size())
            fail("vulkan: record() needs a TensorArg for each of the graph's values");
        int embeddings = 0;
        for (const Node& node : graph.nodes()) embeddings += node.op == OpKind::Embedding ? 1 : 0;
        vk::Recording recording(context_, embeddings);
        for (const Node& node : graph.nodes()) {
            if (node.op == OpKind::Reshape) continue;  // a view: no data moves
            const NodeArgs a = gather_node_args(node, args);
            if (a.output.shape.numel() == 0) continue;
            check_storage(node, a.output);
            for (const TensorArg& in : a.inputs) check_storage(node, in);
            bool fits = true;
            for (const TensorArg& in : a.inputs) fits = fits && recording.fits(in);
            fits = fits && recording.fits(a.output);
            const BatchSlices slices = fits || bound_in_pieces(node) ? BatchSlices{} : batch_slices(graph, node);
            if (slices.rows == 0) {
                record_node(recording, a);
                continue;
            }
            const int64_t batch = a.output.shape[0];
            for (int64_t first = 0; first < batch; first += slices.rows)
                record_node(recording, vk::batch_slice(a, slices.sliced, first, std::min(slices.rows, batch - first)));
        }
        return std::make_unique<vk::VulkanProgram>(std::move(recording));
    }

    std::vector<std::string> validation_messages() const override { return context_->instance->messages().messages(); }
    void clear_validation_messages() override { context_->instance->messages().clear(); }
    bool validation_enabled() const override { return context_->instance->validation(); }
    size_t pipeline_count() const override { return context_->pipelines->size(); }
    std::string pipeline_cache_status() const override { return context_->pipelines->cache().load_status(); }
    VulkanPipelineStats pipeline_stats() const override {
        vk::PipelineRegistry& p = *context_->pipelines;
        const vk::PipelineCache& cache = p.cache();
        VulkanPipelineStats s;
        s.pipelines = static_cast<int>(p.size());
        s.seconds = p.creation_seconds();
        s.cache = cache.path().empty() ? "off" : cache.load_status().rfind("loaded", 0) == 0 ? "warm" : "cold";
        s.cache_detail = cache.path().empty() ? "no cache file" : cache.load_status() + " from " + cache.path();
        s.cache_hits = p.cache_hits();
        return s;
    }

private:
    static void record_node(vk::Recording& recording, const NodeArgs& a) {
        switch (a.node.op) {
            case OpKind::Linear:
                vk::record_linear(recording, a);
                break;
            case OpKind::Conv2d:
                vk::record_conv2d(recording, a);
                break;
            case OpKind::GroupedConv2d:
                vk::record_grouped_conv2d(recording, a);
                break;
            case OpKind::AvgPool2d:
                vk::record_avg_pool2d(recording, a);
                break;
            case OpKind::LayerNorm:
                vk::record_layer_norm(recording, a);
                break;
            case OpKind::Attention:
                vk::record_attention(recording, a);
                break;
            case OpKind::Unary:
                vk::record_unary(recording, a);
                break;
            case OpKind::Binary:
                vk::record_binary(recording, a);
                break;
            case OpKind::Embedding:
                vk::record_embedding(recording, a);
                break;
            case OpKind::Concat:
                vk::record_concat(recording, a);
                break;
            case OpKind::Permute:
                vk::record_permute(recording, a);
                break;
            case OpKind::TokenPool:
                vk::record_token_pool(recording, a);
                break;
            case OpKind::L2Normalize:
                vk::record_l2_normalize(recording, a);
                break;
            case OpKind::Softmax:
                vk::record_softmax(recording, a);
                break;
            case OpKind::Tanh:
                vk::record_tanh(recording, a);
                break;
            case OpKind::Reshape:
                break;
        }
    }

    // How the node is recorded a slice of its batch at a time (vulkan_batch_slices.h): batch rows
    // per slice (0 when it cannot be) and which operands are sliced.
    struct BatchSlices {
        int64_t rows = 0;
        std::vector<bool> sliced;
    };
    BatchSlices batch_slices(const Graph& graph, const Node& node) const {
        BatchSlices s{0, vk::batch_operands(graph, node)};
        if (s.sliced.empty()) return s;
        std::vector<ValueId> values = node.inputs;
        values.push_back(node.output);
        std::vector<vk::OperandBytes> operands;
        for (size_t i = 0; i < values.size(); ++i) {
            const Value& v = graph.value(values[i]);
            const DType stored = v.dtype == DType::F32 ? context_->float_storage : v.dtype;
            const uint64_t bytes = static_cast<uint64_t>(v.shape.numel()) * dtype_size(stored);
            operands.push_back({s.sliced[i] ? bytes / static_cast<uint64_t>(v.shape[0]) : bytes, s.sliced[i]});
        }
        s.rows = vk::batch_rows_per_slice(operands, graph.shape(node.output)[0], context_->max_binding,
                                          vk::binding_alignment(context_->device->limits()));
        return s;
    }

    // Whether the recorder binds operand `i` of the node (its output at inputs.size()) in pieces
    // when it is larger than one binding: vulkan_linear.cpp, vulkan_layout.cpp's embedding.
    static bool bound_in_pieces(const Node& node, size_t i) {
        if (node.op == OpKind::Linear) return true;
        return node.op == OpKind::Embedding && i == 1;
    }
    // Whether the node's recorder binds its own pieces (any operand past the limit it can).
    static bool bound_in_pieces(const Node& node) { return node.op == OpKind::Linear || node.op == OpKind::Embedding; }

    // Shaders are picked by storage dtype: every float tensor must be stored as the program's.
    void check_storage(const Node& node, const TensorArg& t) const {
        if (t.dtype != DType::I32 && t.dtype != context_->float_storage) {
            fail("vulkan: node '", node.name, "' has a tensor stored as ", dtype_name(t.dtype), " in a ",
                 dtype_name(context_->float_storage), " program");
        }
    }

    std::shared_ptr<Context> context_;
};

}  // namespace

std::unique_ptr<VulkanBackend> make_vulkan_backend(const VulkanOptions& options) {
    return std::make_unique<VulkanBackendImpl>(options);
}

std::vector<DeviceInfo> vulkan_devices() {
    vk::Instance instance(false);
    std::vector<DeviceInfo> out;
    for (const vk::PhysicalDevice& d : vk::enumerate_physical_devices(instance)) {
        DeviceInfo info = vk::describe(d);
        info.details.emplace_back("kernels", vk::choose_variants(d, "auto").describe());
        out.push_back(std::move(info));
    }
    return out;
}

}  // namespace cliprt
