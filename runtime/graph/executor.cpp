#include "cliprt/executor.h"

#include <algorithm>

#include "cliprt/error.h"

namespace cliprt {

namespace {

constexpr uint64_t kAlignment = 256;

uint64_t align_up(uint64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

DType storage_dtype(DType logical, DType float_storage) {
    return logical == DType::I32 || logical == DType::I64 ? logical : float_storage;
}

// Converts an f32/i32 host tensor to the bytes a buffer of `storage` dtype holds.
Tensor to_storage(const Tensor& host, DType storage) {
    if (host.dtype() == storage) return host;
    return host.to_dtype(storage);
}

}  // namespace

TensorArg WeightCache::get(const std::shared_ptr<const Tensor>& host) {
    auto it = entries_.find(host.get());
    if (it != entries_.end()) return it->second.arg;
    Entry entry;
    entry.host = host;
    const DType storage = storage_dtype(host->dtype(), backend_.float_storage_dtype());
    if (host->dtype() == storage) {
        entry.buffer = backend_.wrap_host(host);  // host memory backends read the weights in place
        if (entry.buffer) {
            entry.arg = TensorArg{entry.buffer.get(), 0, host->shape(), storage};
            TensorArg arg = entry.arg;
            entries_.emplace(host.get(), std::move(entry));
            return arg;
        }
    }
    const Tensor stored = to_storage(*host, storage);
    entry.buffer = backend_.allocate(std::max<uint64_t>(stored.nbytes(), 4));
    backend_.upload(*entry.buffer, 0, stored.data(), stored.nbytes());
    entry.arg = TensorArg{entry.buffer.get(), 0, stored.shape(), stored.dtype()};
    uploaded_bytes_ += stored.nbytes();
    TensorArg arg = entry.arg;
    entries_.emplace(host.get(), std::move(entry));
    return arg;
}

MemoryPlan plan_memory(const Graph& graph, DType float_storage) {
    const auto& values = graph.values();
    const int n_nodes = static_cast<int>(graph.nodes().size());
    const size_t n = values.size();
    // Lifetime of each storage root, in node indices: [first, last]. Inputs start before node 0,
    // outputs stay alive past the last node.
    std::vector<int> first(n, n_nodes + 1), last(n, -2);
    for (const Value& v : values) {
        if (v.kind == ValueKind::Input) first[static_cast<size_t>(v.id)] = -1;
    }
    for (int i = 0; i < n_nodes; ++i) {
        const Node& node = graph.nodes()[static_cast<size_t>(i)];
        const auto out = static_cast<size_t>(graph.storage_root(node.output));
        first[out] = std::min(first[out], i);
        last[out] = std::max(last[out], i);
        for (ValueId in : node.inputs) {
            const auto root = static_cast<size_t>(graph.storage_root(in));
            last[root] = std::max(last[root], i);
        }
    }
    for (ValueId out : graph.outputs()) last[static_cast<size_t>(graph.storage_root(out))] = n_nodes;

    MemoryPlan plan;
    plan.offsets.assign(n, -1);
    std::vector<size_t> order;
    std::vector<uint64_t> sizes(n, 0);
    for (const Value& v : values) {
        if (v.kind == ValueKind::Constant || v.alias_of >= 0) continue;
        const auto id = static_cast<size_t>(v.id);
        if (last[id] < first[id]) last[id] = first[id];  // defined but never used: still needs a slot
        sizes[id] =
            align_up(static_cast<uint64_t>(v.shape.numel()) * dtype_size(storage_dtype(v.dtype, float_storage)));
        plan.unplanned_bytes += sizes[id];
        order.push_back(id);
    }
    // Greedy by size: the biggest values pick the lowest free offset among values alive at the same time.
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
    std::vector<size_t> placed;
    for (size_t id : order) {
        std::vector<std::pair<uint64_t, uint64_t>> busy;
        for (size_t other : placed) {
            if (first[other] <= last[id] && first[id] <= last[other]) {
                busy.emplace_back(static_cast<uint64_t>(plan.offsets[other]),
                                  static_cast<uint64_t>(plan.offsets[other]) + sizes[other]);
            }
        }
        std::sort(busy.begin(), busy.end());
        uint64_t offset = 0;
        for (const auto& [begin, end] : busy) {
            if (offset + sizes[id] <= begin) break;
            offset = std::max(offset, end);
        }
        plan.offsets[id] = static_cast<int64_t>(offset);
        plan.arena_bytes = std::max(plan.arena_bytes, offset + sizes[id]);
        placed.push_back(id);
    }
    return plan;
}

CompiledGraph::CompiledGraph(std::shared_ptr<const Graph> graph, Backend& backend, WeightCache& weights)
    : graph_(std::move(graph)), backend_(backend) {
    const Graph& g = *graph_;
    for (const Node& node : g.nodes()) {
        if (auto reason = backend.unsupported_reason(g, node)) {
            fail("the ", backend.name(), " backend does not support op ", op_name(node.op), " (node '", node.name,
                 "'): ", *reason);
        }
    }
    const DType float_storage = backend.float_storage_dtype();
    plan_ = plan_memory(g, float_storage);
    arena_ = backend.allocate(std::max<uint64_t>(plan_.arena_bytes, kAlignment));

    args_.resize(g.values().size());
    for (const Value& v : g.values()) {
        const ValueId root = g.storage_root(v.id);
        const Value& r = g.value(root);
        TensorArg arg;
        if (r.kind == ValueKind::Constant) {
            arg = weights.get(r.constant);
        } else {
            arg.buffer = arena_.get();
            arg.offset = static_cast<uint64_t>(plan_.offsets[static_cast<size_t>(root)]);
            arg.dtype = storage_dtype(r.dtype, float_storage);
        }
        arg.shape = v.shape;
        args_[static_cast<size_t>(v.id)] = arg;
    }
    program_ = backend.record(g, args_);
}

std::vector<Tensor> CompiledGraph::run(const std::vector<Tensor>& inputs) {
    const Graph& g = *graph_;
    if (inputs.size() != g.inputs().size()) fail("graph expects ", g.inputs().size(), " inputs, got ", inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
        const Value& v = g.value(g.inputs()[i]);
        if (inputs[i].shape() != v.shape || inputs[i].dtype() != v.dtype) {
            fail("input '", v.name, "' must be ", dtype_name(v.dtype), " ", v.shape, ", got ",
                 dtype_name(inputs[i].dtype()), " ", inputs[i].shape());
        }
        const TensorArg& arg = args_[static_cast<size_t>(v.id)];
        const Tensor stored = to_storage(inputs[i], arg.dtype);
        backend_.upload(*arg.buffer, arg.offset, stored.data(), stored.nbytes());
    }
    program_->run();
    std::vector<Tensor> outputs;
    for (ValueId id : g.outputs()) {
        const TensorArg& arg = args_[static_cast<size_t>(id)];
        Tensor stored(arg.shape, arg.dtype);
        backend_.download(*arg.buffer, arg.offset, stored.data(), stored.nbytes());
        outputs.push_back(stored.dtype() == DType::F32 ? std::move(stored) : stored.to_f32());
    }
    return outputs;
}

}  // namespace cliprt
