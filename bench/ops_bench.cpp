// Google Benchmark of single ops at CLIP's shapes on every available backend: the recorded program
// alone (inputs already on the device, no host transfers), so backends compare kernel for kernel.
//   cliprt_ops_bench --benchmark_filter=linear   (names: op/shape/backend/dtype)
// Backends that cannot be created here (no Vulkan device, no CUDA) are reported as skipped.
#include <benchmark/benchmark.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "cliprt/backends.h"
#include "cliprt/error.h"
#include "cliprt/executor.h"
#include "cliprt/synthetic_weights.h"

namespace cliprt {
namespace {

using Build = std::function<void(Graph&)>;

ValueId constant(Graph& g, const std::string& name, const Shape& shape) {
    return g.add_constant(name, synthetic_tensor("bench." + name, shape, 0.0, 0.05));
}

// One backend per (name, dtype), created on first use; nullptr with the reason if unavailable.
Backend* backend_for(const std::string& name, DType dtype, std::string* why) {
    static std::map<std::pair<std::string, DType>, std::pair<std::unique_ptr<Backend>, std::string>> backends;
    auto [it, inserted] = backends.try_emplace({name, dtype});
    if (inserted) {
        try {
            BackendOptions options;
            options.dtype = dtype;
            it->second.first = create_backend(name, options);
        } catch (const Error& e) {
            it->second.second = e.what();
        }
    }
    *why = it->second.second;
    return it->second.first.get();
}

void run_op(benchmark::State& state, const Build& build, const std::string& backend_name, DType dtype) {
    std::string why;
    Backend* backend = backend_for(backend_name, dtype, &why);
    if (!backend) {
        state.SkipWithError(("backend unavailable: " + why).c_str());
        return;
    }
    auto graph = std::make_shared<Graph>();
    build(*graph);
    WeightCache weights(*backend);
    CompiledGraph compiled(graph, *backend, weights);
    std::vector<Tensor> inputs;
    for (ValueId id : graph->inputs()) {
        inputs.push_back(synthetic_tensor("bench.input", graph->value(id).shape, 0.0, 1.0));
    }
    compiled.run(inputs);  // uploads the inputs, warms caches
    for (auto _ : state) compiled.program().run();
    state.counters["dispatches"] = compiled.program().dispatch_count();
}

// ViT-B-32 shapes: 50 tokens of width 768 (batch 8), the text tower's 77 tokens, ViT-B-16's 197.
void linear_mlp(Graph& g) {
    const ValueId x = g.add_input("x", Shape{8, 50, 768}, DType::F32);
    g.mark_output(g.linear(x, constant(g, "w", Shape{3072, 768}), constant(g, "b", Shape{3072}), Activation::Gelu));
}

Build attention(int tokens, bool causal) {
    return [tokens, causal](Graph& g) {
        const ValueId qkv = g.add_input("qkv", Shape{8, tokens, 3 * 768}, DType::F32);
        AttentionParams p;
        p.heads = 12;
        p.packed_qkv = true;
        p.causal = causal;
        p.scale = 1.0f / std::sqrt(64.0f);
        g.mark_output(g.attention({qkv}, p));
    };
}

// RN50's layer1 3x3 convolution (64 channels at 56x56), batch 8, folded bias and ReLU.
void conv3x3(Graph& g) {
    const ValueId x = g.add_input("x", Shape{8, 64, 56, 56}, DType::F32);
    Conv2dParams p;
    p.pad_h = p.pad_w = 1;
    p.has_bias = true;
    p.act = Activation::Relu;
    g.mark_output(g.conv2d(x, constant(g, "w", Shape{64, 64, 3, 3}), constant(g, "b", Shape{64}), p));
}

void layer_norm(Graph& g) {
    const ValueId x = g.add_input("x", Shape{8, 197, 768}, DType::F32);
    g.mark_output(g.layer_norm(x, constant(g, "g", Shape{768}), constant(g, "b", Shape{768}), 1e-5f));
}

// One element: what a forward costs beyond its arithmetic (record replay, submit, fence wait).
void overhead(Graph& g) { g.mark_output(g.unary(g.add_input("x", Shape{1}, DType::F32), Activation::Relu)); }

void register_all() {
    const std::vector<std::pair<std::string, Build>> ops = {
        {"submit_overhead/relu_1", overhead},
        {"linear_gelu/8x50x768->3072", linear_mlp},
        {"attention/8x50x12x64", attention(50, false)},
        {"attention_causal/8x77x12x64", attention(77, true)},
        {"attention/8x197x12x64", attention(197, false)},
        {"conv2d_3x3_relu/8x64x56x56", conv3x3},
        {"layer_norm/8x197x768", layer_norm},
    };
    const std::vector<std::pair<std::string, DType>> targets = {{"cpu", DType::F32},
                                                                {"vulkan", DType::F32},
                                                                {"vulkan", DType::F16},
                                                                {"cuda", DType::F32},
                                                                {"cuda", DType::F16}};
    for (const auto& [op, build] : ops) {
        for (const auto& [backend, dtype] : targets) {
            const std::string name = op + "/" + backend + "/" + dtype_name(dtype);
            benchmark::RegisterBenchmark(name.c_str(), [build = build, backend = backend, dtype = dtype](
                                                           benchmark::State& s) { run_op(s, build, backend, dtype); })
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
        }
    }
}

}  // namespace
}  // namespace cliprt

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    cliprt::register_all();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
