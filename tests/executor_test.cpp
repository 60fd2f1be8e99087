// The graph's shape rules, the liveness-based memory plan, weight upload once per model, and the
// error for ops a backend does not support.
#include "cliprt/executor.h"

#include <gtest/gtest.h>

#include "cliprt/cpu_backend.h"
#include "cliprt/error.h"

namespace cliprt {
namespace {

// Delegates to the CPU backend, counts uploads, and refuses softmax.
class RecordingBackend : public Backend {
public:
    RecordingBackend() : cpu_(make_cpu_ref_backend(1)) {}
    DeviceInfo device_info() const override {
        DeviceInfo info = cpu_->device_info();
        info.backend = "recording";
        return info;
    }
    std::unique_ptr<Buffer> allocate(uint64_t bytes) override { return cpu_->allocate(bytes); }
    void upload(Buffer& b, uint64_t offset, const void* src, uint64_t bytes) override {
        ++uploads;
        cpu_->upload(b, offset, src, bytes);
    }
    void download(const Buffer& b, uint64_t offset, void* dst, uint64_t bytes) override {
        cpu_->download(b, offset, dst, bytes);
    }
    std::optional<std::string> unsupported_reason(const Graph& g, const Node& n) const override {
        if (n.op == OpKind::Softmax) return std::string("no softmax kernel");
        return cpu_->unsupported_reason(g, n);
    }
    std::unique_ptr<Program> record(const Graph& g, const std::vector<TensorArg>& args) override {
        return cpu_->record(g, args);
    }
    int uploads = 0;

private:
    std::unique_ptr<Backend> cpu_;
};

std::shared_ptr<Graph> chain_graph(int length, const std::shared_ptr<const Tensor>& weight) {
    auto g = std::make_shared<Graph>();
    ValueId x = g->add_input("x", Shape{2, 8}, DType::F32);
    ValueId w = g->add_constant("w", weight);
    for (int i = 0; i < length; ++i) x = g->linear(x, w, -1, Activation::Relu);
    g->mark_output(x);
    return g;
}

TEST(Graph, ShapeRulesRejectMismatches) {
    Graph g;
    ValueId x = g.add_input("x", Shape{2, 8}, DType::F32);
    ValueId w = g.add_constant("w", Tensor(Shape{4, 7}, DType::F32));
    EXPECT_THROW(g.linear(x, w), Error);
    EXPECT_THROW(g.reshape(x, Shape{3, 5}), Error);
    EXPECT_THROW(g.permute(x, {0, 0}), Error);
    EXPECT_THROW(g.binary(BinaryOp::Add, x, g.add_input("y", Shape{3}, DType::F32)), Error);
    EXPECT_THROW(g.layer_norm(x, w, w, 1e-5f), Error);
    AttentionParams p;
    p.heads = 3;
    p.packed_qkv = true;
    EXPECT_THROW(g.attention({g.add_input("qkv", Shape{1, 4, 24}, DType::F32)}, p), Error);  // 8 not divisible by 3
}

TEST(MemoryPlan, LiveValuesNeverOverlapAndDeadOnesAreReused) {
    auto w = std::make_shared<const Tensor>(Tensor(Shape{8, 8}, DType::F32));
    auto g = chain_graph(20, w);
    const MemoryPlan plan = plan_memory(*g, DType::F32);
    // In a chain only the input of each node and its output are alive together.
    EXPECT_LT(plan.arena_bytes, plan.unplanned_bytes / 5);
    for (const Node& node : g->nodes()) {
        const int64_t in = plan.offsets[static_cast<size_t>(node.inputs[0])];
        const int64_t out = plan.offsets[static_cast<size_t>(node.output)];
        EXPECT_NE(in, out) << node.name;
    }
    EXPECT_EQ(plan.offsets[1], -1);  // the constant is not in the arena
}

TEST(MemoryPlan, OutputsSurviveTheWholeProgram) {
    Graph g;
    ValueId x = g.add_input("x", Shape{4}, DType::F32);
    ValueId a = g.unary(x, Activation::Relu);
    ValueId b = g.unary(a, Activation::Sigmoid);
    ValueId c = g.unary(b, Activation::Relu);
    ValueId d = g.unary(c, Activation::Relu);
    g.mark_output(a);
    g.mark_output(d);
    const MemoryPlan plan = plan_memory(g, DType::F32);
    for (ValueId v : {b, c, d}) EXPECT_NE(plan.offsets[static_cast<size_t>(a)], plan.offsets[static_cast<size_t>(v)]);
}

TEST(Executor, RunsAndUploadsWeightsOncePerModel) {
    RecordingBackend backend;
    WeightCache cache(backend);
    auto w = std::make_shared<const Tensor>(Tensor::from_f32({2, 2}, {1, 2, 3, 4}));
    auto g = std::make_shared<Graph>();
    ValueId x = g->add_input("x", Shape{1, 2}, DType::F32);
    g->mark_output(g->linear(x, g->add_constant("w", w)));
    CompiledGraph first(g, backend, cache);
    CompiledGraph second(g, backend, cache);
    EXPECT_EQ(backend.uploads, 1);
    const Tensor y = first.run({Tensor::from_f32({1, 2}, {1, 1})})[0];
    EXPECT_FLOAT_EQ(y.f32()[0], 3.0f);
    EXPECT_FLOAT_EQ(y.f32()[1], 7.0f);
    EXPECT_EQ(backend.uploads, 2);  // plus the input
    EXPECT_THROW(first.run({Tensor::from_f32({1, 3}, {1, 1, 1})}), Error);
    EXPECT_THROW(first.run({}), Error);
}

TEST(Executor, UnsupportedOpNamesOpAndBackend) {
    RecordingBackend backend;
    WeightCache cache(backend);
    auto g = std::make_shared<Graph>();
    g->mark_output(g->softmax(g->add_input("x", Shape{3}, DType::F32), "probabilities"));
    try {
        CompiledGraph compiled(g, backend, cache);
        FAIL() << "no error";
    } catch (const Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("recording"), std::string::npos) << m;
        EXPECT_NE(m.find("softmax"), std::string::npos) << m;
        EXPECT_NE(m.find("probabilities"), std::string::npos) << m;
    }
}

}  // namespace
}  // namespace cliprt
