// cliprt profile: where a forward's time goes, per op kind and per node, with each node's FLOPs and
// bytes (node_cost.h), the GFLOP/s and GB/s it reached and its share of the forward. Steps are
// timed by the backend's program (backend.h, ProgramProfile): host timers on the CPU backends,
// timestamp queries on Vulkan, events on CUDA (whose steps then run one by one, not as a graph).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "bench_input.h"
#include "cliprt/backends.h"
#include "cliprt/node_cost.h"
#include "commands.h"
#include "models/model_loader.h"

namespace cliprt::app {

namespace {

struct ProfileOptions {
    std::string model = "ViT-B-32";
    std::string weights = "synthetic";
    std::string backend = "cpu";
    std::string tower = "image";
    std::string dtype = "f32";
    int batch = 1;
    int runs = 10;
    int device = -1;
    int threads = 0;
    int top = 15;
    bool json = false;
};

struct Row {
    std::string name;  // node name or op kind
    std::string op;
    std::string shape;
    int nodes = 0;
    int steps = 0;
    double seconds = 0;  // per run
    double best = 0;     // sum of the steps' fastest runs
    NodeCost cost;
};

double rate(double amount, double seconds) { return seconds > 0 ? amount / seconds : 0.0; }

}  // namespace

Command add_profile_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("profile", "Time per op kind and per node of one tower's forward");
    auto o = std::make_shared<ProfileOptions>();
    cmd->add_option("--model", o->model, "Built-in model name, config file or model directory")->capture_default_str();
    cmd->add_option("--weights", o->weights, "'synthetic' or a .safetensors file")->capture_default_str();
    cmd->add_option("--backend", o->backend, "cpu, cpu-ref, vulkan or cuda")->capture_default_str();
    cmd->add_option("--tower", o->tower, "image or text")->capture_default_str();
    cmd->add_option("--dtype", o->dtype, "f32, f16 (vulkan), bf16 (cpu)")->capture_default_str();
    cmd->add_option("--batch", o->batch, "Batch size")->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--runs", o->runs, "Profiled forwards after one warm-up")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->add_option("--device", o->device, "Device index of the GPU backends (-1: best)")->capture_default_str();
    cmd->add_option("--threads", o->threads, "CPU threads (0 = all cores)")->capture_default_str();
    cmd->add_option("--top", o->top, "Nodes listed, slowest first (0: all)")->capture_default_str();
    cmd->add_flag("--json", o->json, "Print JSON");
    return [o] {
        // Programs recorded from here on time their steps without printing (backend.h).
        ::setenv("CLIPRT_PROFILE", "collect", 1);
        ::setenv("CLIPRT_VULKAN_PROFILE", "collect", 1);
        ::setenv("CLIPRT_CUDA_PROFILE", "collect", 1);
        auto model = load_clip_model(o->model, o->weights);
        const ClipConfig& cfg = model->config();
        BackendOptions options;
        options.dtype = parse_dtype(o->dtype);
        options.threads = o->threads;
        options.device = o->device;
        auto backend = create_backend(o->backend, options);
        ClipSession session(model, *backend);
        const Tensor input = bench_input(cfg, o->tower, o->batch);
        auto forward = [&] {
            return o->tower == "image" ? session.encode_image(input, true) : session.encode_text(input, true);
        };
        forward();  // compile, upload weights, warm caches: not counted
        const ProgramProfile before = session.last_compiled()->program().profile();
        if (before.runs == 0) {
            std::cerr << "cliprt: the " << backend->name()
                      << " backend did not time its steps (a Vulkan device without compute timestamps has no timers)\n";
            return 1;
        }
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < o->runs; ++i) forward();
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / o->runs;
        const ProgramProfile after = session.last_compiled()->program().profile();
        const Graph& graph = session.last_compiled()->graph();
        const DType storage = backend->float_storage_dtype();

        // Steps -> nodes (in graph order) -> op kinds.
        std::map<std::string, const Node*> by_name;
        for (const Node& node : graph.nodes()) by_name[node.name] = &node;
        std::map<std::string, Row> nodes;
        std::vector<std::string> order;
        double total = 0;
        for (size_t i = 0; i < after.steps.size(); ++i) {
            const StepTime& s = after.steps[i];
            const double seconds = (s.seconds - (i < before.steps.size() ? before.steps[i].seconds : 0.0)) / o->runs;
            auto [it, fresh] = nodes.try_emplace(s.node);
            Row& row = it->second;
            if (fresh) {
                order.push_back(s.node);
                row.name = s.node;
                row.nodes = 1;
                if (const auto n = by_name.find(s.node); n != by_name.end()) {
                    row.op = op_name(n->second->op);
                    row.shape = graph.shape(n->second->output).str();
                    row.cost = node_cost(graph, *n->second, storage);
                } else {
                    row.op = s.kernel;
                }
            }
            ++row.steps;
            row.seconds += seconds;
            row.best += s.best;
            total += seconds;
        }
        std::map<std::string, Row> ops;
        for (const std::string& name : order) {
            const Row& n = nodes.at(name);
            Row& op = ops[n.op];
            op.name = op.op = n.op;
            op.nodes += 1;
            op.steps += n.steps;
            op.seconds += n.seconds;
            op.best += n.best;
            op.cost.flops += n.cost.flops;
            op.cost.bytes += n.cost.bytes;
        }
        std::vector<Row> op_rows, node_rows;
        for (const auto& [name, row] : ops) op_rows.push_back(row);
        for (const std::string& name : order) node_rows.push_back(nodes.at(name));
        const auto slower = [](const Row& a, const Row& b) { return a.seconds > b.seconds; };
        std::sort(op_rows.begin(), op_rows.end(), slower);
        std::stable_sort(node_rows.begin(), node_rows.end(), slower);
        const NodeCost whole = graph_cost(graph, storage);
        const std::string device = backend->device_info().name;

        auto row_json = [&](const Row& r) {
            return nlohmann::json{{"name", r.name},
                                  {"op", r.op},
                                  {"shape", r.shape},
                                  {"nodes", r.nodes},
                                  {"steps", r.steps},
                                  {"ms", 1e3 * r.seconds},
                                  {"best_ms", 1e3 * r.best},
                                  {"share", rate(r.seconds, total)},
                                  {"gflop", 1e-9 * static_cast<double>(r.cost.flops)},
                                  {"gbytes", 1e-9 * static_cast<double>(r.cost.bytes)},
                                  {"gflop_per_second", rate(1e-9 * static_cast<double>(r.cost.flops), r.seconds)},
                                  {"gbytes_per_second", rate(1e-9 * static_cast<double>(r.cost.bytes), r.seconds)}};
        };
        if (o->json) {
            nlohmann::json j{{"model", cfg.name},
                             {"backend", backend->name()},
                             {"device", device},
                             {"tower", o->tower},
                             {"dtype", dtype_name(options.dtype)},
                             {"batch", o->batch},
                             {"runs", o->runs},
                             {"clock", after.clock},
                             {"forward_ms", 1e3 * wall},
                             {"steps_ms", 1e3 * total},
                             {"gflop_per_forward", 1e-9 * static_cast<double>(whole.flops)},
                             {"ops", nlohmann::json::array()},
                             {"nodes", nlohmann::json::array()}};
            for (const Row& r : op_rows) j["ops"].push_back(row_json(r));
            for (const Row& r : node_rows) j["nodes"].push_back(row_json(r));
            std::cout << j.dump(2) << "\n";
            return 0;
        }
        std::printf("%s %s tower, batch %d, %s on %s (%s), %d runs after a warm-up\n", cfg.name.c_str(),
                    o->tower.c_str(), o->batch, backend->name().c_str(), device.c_str(), dtype_name(options.dtype),
                    o->runs);
        std::printf("timed by %s: steps %.3f ms per forward; the whole forward with transfers %.3f ms; %.3f GFLOP\n\n",
                    after.clock.c_str(), 1e3 * total, 1e3 * wall, 1e-9 * static_cast<double>(whole.flops));
        const char* head = "%-44s %-12s %6s %6s %10s %10s %7s %9s %9s %9s %8s  %s\n";
        const char* line = "%-44s %-12s %6d %6d %10.3f %10.3f %6.1f%% %9.3f %9.1f %9.4f %8.1f  %s\n";
        auto print = [&](const Row& r) {
            const double gflop = 1e-9 * static_cast<double>(r.cost.flops);
            const double gbytes = 1e-9 * static_cast<double>(r.cost.bytes);
            std::printf(line, r.name.c_str(), r.name == r.op ? "" : r.op.c_str(), r.nodes, r.steps, 1e3 * r.seconds,
                        1e3 * r.best, 100 * rate(r.seconds, total), gflop, rate(gflop, r.seconds), gbytes,
                        rate(gbytes, r.seconds), r.shape.c_str());
        };
        std::printf(head, "op kind", "", "nodes", "steps", "ms/run", "best ms", "share", "GFLOP", "GFLOP/s", "GB",
                    "GB/s", "");
        for (const Row& r : op_rows) print(r);
        const size_t shown = o->top <= 0 ? node_rows.size() : std::min<size_t>(node_rows.size(), o->top);
        std::printf("\n");
        std::printf(head, "node (slowest first)", "op", "nodes", "steps", "ms/run", "best ms", "share", "GFLOP",
                    "GFLOP/s", "GB", "GB/s", "output");
        for (size_t i = 0; i < shown; ++i) print(node_rows[i]);
        if (shown < node_rows.size()) std::printf("... %zu more nodes (--top 0 lists all)\n", node_rows.size() - shown);
        return 0;
    };
}

}  // namespace cliprt::app
