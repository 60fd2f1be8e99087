// Compiles a graph for a backend and runs it.
//
// Compilation checks that the backend supports every node, plans activation memory by value
// lifetimes into one arena (offsets reused once a value is dead), uploads constants through a
// WeightCache (once per model and backend, shared by every graph built from the same weights) and
// has the backend record the program.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "cliprt/backend.h"

namespace cliprt {

// Device copies of constant tensors, keyed by their host tensor, so graphs of different batch
// sizes built from one set of weights upload them once.
class WeightCache {
public:
    explicit WeightCache(Backend& backend) : backend_(backend) {}
    TensorArg get(const std::shared_ptr<const Tensor>& host);  // uploads on first use
    uint64_t uploaded_bytes() const { return uploaded_bytes_; }

private:
    Backend& backend_;
    struct Entry {
        std::shared_ptr<const Tensor> host;  // keeps the key alive
        std::unique_ptr<Buffer> buffer;
        TensorArg arg;
    };
    std::map<const Tensor*, Entry> entries_;
    uint64_t uploaded_bytes_ = 0;
};

struct MemoryPlan {
    std::vector<int64_t> offsets;  // per value: byte offset in the arena, -1 if not in the arena
    uint64_t arena_bytes = 0;
    uint64_t unplanned_bytes = 0;  // sum of all activation sizes, to show what reuse saved
};

// Assigns arena offsets to inputs and activations so that values alive at the same time never
// overlap. Reshape outputs share their root's storage. Alignment 256 bytes.
MemoryPlan plan_memory(const Graph& graph, DType float_storage);

class CompiledGraph {
public:
    CompiledGraph(std::shared_ptr<const Graph> graph, Backend& backend, WeightCache& weights);

    // inputs in the order of graph.inputs() (f32 or i32 host tensors with the declared shapes);
    // returns the outputs in the order of graph.outputs(), as f32.
    std::vector<Tensor> run(const std::vector<Tensor>& inputs);

    const Graph& graph() const { return *graph_; }
    const MemoryPlan& memory_plan() const { return plan_; }
    const Program& program() const { return *program_; }
    // The recorded forward itself: run() repeats it on the inputs of the last run(inputs), with no
    // host transfers (for benchmarks).
    Program& program() { return *program_; }

private:
    std::shared_ptr<const Graph> graph_;
    Backend& backend_;
    MemoryPlan plan_;
    std::unique_ptr<Buffer> arena_;
    std::vector<TensorArg> args_;
    std::unique_ptr<Program> program_;
};

}  // namespace cliprt
