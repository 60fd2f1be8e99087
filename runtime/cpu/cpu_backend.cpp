#include "cpu/cpu_backend.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "cliprt/cpu_backend.h"
#include "cliprt/error.h"
#include "cpu/cpu_buffer.h"
#include "cpu/cpu_ops.h"

namespace cliprt {

std::unique_ptr<Backend> make_cpu_ref_backend(int threads) {
    return std::make_unique<cpu::CpuBackend>(cpu::resolve_threads(threads));
}

namespace cpu {

namespace {

// What a step runs, for the profile.
struct StepInfo {
    OpKind op;
    std::string node;
    std::string shape;  // the output's
};

// The steps in order. With a profile (CLIPRT_PROFILE set), each step is timed; when the program
// is destroyed the totals per op kind and the slowest steps go to stderr (not with "collect":
// profile() alone reports them).
class CpuProgram : public Program {
public:
    CpuProgram(std::vector<Step> steps, std::vector<StepInfo> info)
        : steps_(std::move(steps)),
          info_(std::move(info)),
          mode_(profile_mode("CLIPRT_PROFILE")),
          profile_(mode_ != ProfileMode::Off),
          seconds_(steps_.size(), 0.0),
          best_(steps_.size(), 1e30) {}
    ~CpuProgram() override {
        if (mode_ == ProfileMode::Print && runs_ > 0) print_profile();
    }
    ProgramProfile profile() const override {
        ProgramProfile p;
        if (!profile_) return p;
        p.runs = runs_;
        p.clock = "host steady_clock around each step";
        for (size_t i = 0; i < steps_.size(); ++i)
            p.steps.push_back(StepTime{info_[i].node, op_name(info_[i].op), seconds_[i], runs_ > 0 ? best_[i] : 0.0});
        return p;
    }
    void run() override {
        if (!profile_) {
            for (const Step& step : steps_) step();
            return;
        }
        for (size_t i = 0; i < steps_.size(); ++i) {
            const auto start = std::chrono::steady_clock::now();
            steps_[i]();
            const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            seconds_[i] += t;
            best_[i] = std::min(best_[i], t);
        }
        ++runs_;
    }
    int dispatch_count() const override { return static_cast<int>(steps_.size()); }
    int submit_count() const override { return 1; }

private:
    void print_profile() const {
        const double runs = static_cast<double>(runs_);
        double total = 0;
        double best = 0;  // each step's fastest run: what a quiet machine would take
        std::map<OpKind, std::pair<double, int>> per_op;
        for (size_t i = 0; i < steps_.size(); ++i) {
            total += seconds_[i];
            best += best_[i];
            per_op[info_[i].op].first += seconds_[i];
            ++per_op[info_[i].op].second;
        }
        std::fprintf(stderr, "cpu profile: %d steps, %lld runs, %.3f ms per run (sum of each step's best: %.3f ms)\n",
                     dispatch_count(), static_cast<long long>(runs_), 1e3 * total / runs, 1e3 * best);
        std::vector<std::pair<double, OpKind>> ops;
        for (const auto& [op, t] : per_op) ops.emplace_back(t.first, op);
        std::sort(ops.rbegin(), ops.rend());
        for (const auto& [t, op] : ops)
            std::fprintf(stderr, "  %-12s %6.2f%% %9.3f ms per run, %d steps\n", op_name(op), 100 * t / total,
                         1e3 * t / runs, per_op.at(op).second);
        std::vector<size_t> order(steps_.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return seconds_[a] > seconds_[b]; });
        std::fprintf(stderr, "  slowest steps:\n");
        const char* env = std::getenv("CLIPRT_PROFILE");
        const size_t shown = env != nullptr && std::string(env) == "all" ? order.size() : 12;
        for (size_t i = 0; i < std::min(order.size(), shown); ++i) {
            const StepInfo& step = info_[order[i]];
            std::fprintf(stderr, "  %6.2f%% %9.3f ms (best %.3f)  %s %s -> %s\n", 100 * seconds_[order[i]] / total,
                         1e3 * seconds_[order[i]] / runs, 1e3 * best_[order[i]], op_name(step.op), step.node.c_str(),
                         step.shape.c_str());
        }
    }

    std::vector<Step> steps_;
    std::vector<StepInfo> info_;
    ProfileMode mode_;
    bool profile_;
    int64_t runs_ = 0;
    std::vector<double> seconds_;
    std::vector<double> best_;
};

std::string cpu_model_name() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("model name", 0) != 0) continue;
        const size_t colon = line.find(':');
        if (colon == std::string::npos) break;
        const size_t start = line.find_first_not_of(" \t", colon + 1);
        return start == std::string::npos ? std::string() : line.substr(start);
    }
    return "unknown cpu";
}

void check_range(const Buffer& buffer, uint64_t offset, uint64_t bytes, const char* what) {
    if (offset > buffer.size() || bytes > buffer.size() - offset)
        fail("cpu backend: ", what, " of ", bytes, " bytes at offset ", offset, " exceeds a buffer of ", buffer.size(),
             " bytes");
}

// The dtype each input of a node must have on this backend: i32 for token ids, f32 otherwise.
DType expected_input_dtype(const Node& node, size_t input) {
    if (node.op == OpKind::Embedding && input == 0) return DType::I32;
    if (node.op == OpKind::TokenPool && input == 1) return DType::I32;
    // The key mask is attention's last input.
    if (node.op == OpKind::Attention && node.get<AttentionParams>().has_key_mask && input + 1 == node.inputs.size())
        return DType::I32;
    return DType::F32;
}

}  // namespace

Step record_node(const NodeArgs& args) {
    switch (args.node.op) {
        case OpKind::Linear:
            return record_linear(args);
        case OpKind::Conv2d:
            return record_conv2d(args);
        case OpKind::GroupedConv2d:
            return record_grouped_conv2d(args);
        case OpKind::AvgPool2d:
            return record_avg_pool2d(args);
        case OpKind::LayerNorm:
            return record_layer_norm(args);
        case OpKind::Attention:
            return record_attention(args);
        case OpKind::Unary:
            return record_unary(args);
        case OpKind::Binary:
            return record_binary(args);
        case OpKind::Embedding:
            return record_embedding(args);
        case OpKind::Concat:
            return record_concat(args);
        case OpKind::Permute:
            return record_permute(args);
        case OpKind::TokenPool:
            return record_token_pool(args);
        case OpKind::L2Normalize:
            return record_l2_normalize(args);
        case OpKind::Softmax:
            return record_softmax(args);
        case OpKind::Tanh:
            return record_tanh(args);
        case OpKind::Reshape:
            break;
    }
    fail("cpu backend: reshape '", args.node.name, "' has no step (it is a view)");
}

int resolve_threads(int threads) {
    if (threads < 0) fail("cpu backend: thread count ", threads, " is negative");
    if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return threads;
}

CpuBackend::CpuBackend(int threads) : pool_(threads) {}

DeviceInfo CpuBackend::device_info() const {
    DeviceInfo info;
    info.backend = "cpu-ref";
    info.name = cpu_model_name();
    info.type = "cpu";
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page_size > 0) info.memory_bytes = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
    info.details.emplace_back("threads", std::to_string(pool_.threads()));
    return info;
}

std::unique_ptr<Buffer> CpuBackend::allocate(uint64_t bytes) { return std::make_unique<CpuBuffer>(bytes); }

std::unique_ptr<Buffer> CpuBackend::wrap_host(std::shared_ptr<const Tensor> host) {
    return std::make_unique<CpuBuffer>(std::move(host));
}

void CpuBackend::upload(Buffer& buffer, uint64_t offset, const void* src, uint64_t bytes) {
    check_range(buffer, offset, bytes, "upload");
    if (bytes > 0) std::memcpy(cpu_buffer(buffer).data() + offset, src, bytes);
}

void CpuBackend::download(const Buffer& buffer, uint64_t offset, void* dst, uint64_t bytes) {
    check_range(buffer, offset, bytes, "download");
    if (bytes > 0) std::memcpy(dst, cpu_buffer(buffer).data() + offset, bytes);
}

std::optional<std::string> CpuBackend::unsupported_reason(const Graph& graph, const Node& node) const {
    // Views and permutes move storage of any 4-byte dtype; every other op computes in f32.
    if (node.op == OpKind::Reshape) return std::nullopt;
    if (node.op == OpKind::Permute) {
        const DType dtype = graph.value(node.inputs[0]).dtype;
        if (dtype == DType::F32 || dtype == DType::I32) return std::nullopt;
        return std::string("permute of ") + dtype_name(dtype) + " values (the cpu backend permutes f32 and i32)";
    }
    for (size_t i = 0; i < node.inputs.size(); ++i) {
        const Value& v = graph.value(node.inputs[i]);
        const DType expected = expected_input_dtype(node, i);
        if (v.dtype != expected) {
            return std::string("input ") + std::to_string(i) + " ('" + v.name + "') is " + dtype_name(v.dtype) +
                   "; the cpu backend needs " + dtype_name(expected) + " there";
        }
    }
    const Value& out = graph.value(node.output);
    if (out.dtype != DType::F32)
        return std::string("output '") + out.name + "' is " + dtype_name(out.dtype) + "; the cpu backend computes f32";
    return std::nullopt;
}

std::unique_ptr<Program> CpuBackend::record(const Graph& graph, const std::vector<TensorArg>& args) {
    if (args.size() != graph.values().size())
        fail("cpu backend: ", args.size(), " tensor arguments for a graph of ", graph.values().size(), " values");
    std::vector<Step> steps;
    std::vector<StepInfo> info;
    for (const Node& node : graph.nodes()) {
        const cliprt::NodeArgs node_args = gather_node_args(node, args);
        if (node.op == OpKind::Reshape) {
            // A view: the executor must have given it its input's storage.
            const TensorArg& in = node_args.inputs[0];
            if (in.buffer != node_args.output.buffer || in.offset != node_args.output.offset)
                fail("cpu backend: reshape '", node.name, "' does not share its input's storage");
            continue;
        }
        steps.push_back(record_step(graph, node_args));
        info.push_back({node.op, node.name, node_args.output.shape.str()});
    }
    return std::make_unique<CpuProgram>(std::move(steps), std::move(info));
}

Step CpuBackend::record_step(const Graph&, const cliprt::NodeArgs& args) { return record_node(NodeArgs{args, pool_}); }

}  // namespace cpu
}  // namespace cliprt
