// cliprt bench: forwards per second of a model's towers on several backends, side by side in one run.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench_input.h"
#include "cliprt/backends.h"
#include "cliprt/node_cost.h"
#include "commands.h"
#include "models/model_loader.h"

namespace cliprt::app {

namespace {

struct BenchOptions {
    std::string model = "ViT-B-32";
    std::string weights = "synthetic";
    std::string backends = "cpu";
    std::string batches = "1";
    std::string towers = "image,text";
    std::string dtypes = "f32";
    int device = -1;
    double min_seconds = 2.0;
    int threads = 0;
    bool json = false;
    bool full_context = false;
    std::string pipeline_cache = "default";
};

// The token count the last text forward ran at (its graph's first input is the ids [N, L]).
int64_t program_input_length(const ClipSession& session) {
    const Graph& g = session.last_compiled()->graph();
    return g.shape(g.inputs().at(0))[1];
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// --pipeline-cache for the Vulkan backends (CLIPRT_VULKAN_PIPELINE_CACHE, read when a backend is
// created): "default" leaves the user's cache (or the variable) alone, "off" keeps none, "cold"
// gives every backend a new file in a temporary folder (removed at exit), anything else is a file.
class PipelineCacheChoice {
public:
    explicit PipelineCacheChoice(std::string mode) : mode_(std::move(mode)) {
        if (mode_ == "off") ::setenv("CLIPRT_VULKAN_PIPELINE_CACHE", "off", 1);
        if (mode_ != "default" && mode_ != "off" && mode_ != "cold")
            ::setenv("CLIPRT_VULKAN_PIPELINE_CACHE", mode_.c_str(), 1);
    }
    ~PipelineCacheChoice() {
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    PipelineCacheChoice(const PipelineCacheChoice&) = delete;
    PipelineCacheChoice& operator=(const PipelineCacheChoice&) = delete;

    // Before each backend is created.
    void next_backend() {
        if (mode_ != "cold") return;
        if (dir_.empty()) {
            dir_ = std::filesystem::temp_directory_path() / ("cliprt-bench-cold-" + std::to_string(::getpid()));
            std::filesystem::create_directories(dir_);
        }
        const std::string path = (dir_ / ("pipelines-" + std::to_string(count_++) + ".bin")).string();
        ::setenv("CLIPRT_VULKAN_PIPELINE_CACHE", path.c_str(), 1);
    }

private:
    std::string mode_;
    std::filesystem::path dir_;
    int count_ = 0;
};

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> parts;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, ',');) {
        if (!part.empty()) parts.push_back(part);
    }
    return parts;
}

// Every (backend, dtype) pair, backends outermost.
std::vector<std::pair<std::string, std::string>> combinations(const std::vector<std::string>& backends,
                                                              const std::vector<std::string>& dtypes) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& b : backends) {
        for (const std::string& d : dtypes) out.emplace_back(b, d);
    }
    return out;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("bench", "Measure forwards per second on one or more backends");
    auto o = std::make_shared<BenchOptions>();
    cmd->add_option("--model", o->model, "Comma-separated built-in model names, config files or model directories")
        ->capture_default_str();
    cmd->add_option("--weights", o->weights, "'synthetic' or a .safetensors file")->capture_default_str();
    cmd->add_option("--backend", o->backends, "Comma-separated backends, e.g. cpu,vulkan")->capture_default_str();
    cmd->add_option("--batch", o->batches, "Comma-separated batch sizes, e.g. 1,8")->capture_default_str();
    cmd->add_option("--tower", o->towers, "image, text or image,text")->capture_default_str();
    cmd->add_option("--dtype", o->dtypes, "Comma-separated: f32, f16 (GPU backends), bf16 (cpu: bf16 weights)")
        ->capture_default_str();
    cmd->add_option("--device", o->device, "Device index of the GPU backends (-1: best)")->capture_default_str();
    cmd->add_option("--min-seconds", o->min_seconds, "Measure each configuration for at least this long")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->add_option("--threads", o->threads, "CPU threads (0 = all cores)")->capture_default_str();
    cmd->add_option("--pipeline-cache", o->pipeline_cache,
                    "Vulkan pipeline cache: default (the user's), cold (a new empty one per backend), off, or a file")
        ->capture_default_str();
    cmd->add_flag("--full-context", o->full_context,
                  "Run open_clip text towers at the whole context length, as PyTorch and ONNX Runtime do, "
                  "instead of the prefix up to the pooled token (the same features, less work)");
    cmd->add_flag("--json", o->json, "Print JSON");
    return [o] {
        PipelineCacheChoice cache_choice(o->pipeline_cache);
        nlohmann::json rows = nlohmann::json::array();
        nlohmann::json startups = nlohmann::json::array();
        std::vector<std::string> startup_lines;
        if (!o->json) {
            std::printf("%s weights\n", o->weights.c_str());
            std::printf("%-12s %-8s %-6s %-5s %6s %12s %12s %10s %8s %10s %9s\n", "model", "backend", "tower", "dtype",
                        "batch", "items/s", "ms/forward", "dispatches", "submits", "GFLOP/fwd", "GFLOP/s");
        }
        for (const std::string& model_name : split(o->model)) {
            const auto load_start = std::chrono::steady_clock::now();
            auto model = load_clip_model(model_name, o->weights);
            const double load_seconds = seconds_since(load_start);
            const ClipConfig& cfg = model->config();
            for (const auto& [backend_name, dtype_text] : combinations(split(o->backends), split(o->dtypes))) {
                BackendOptions options;
                options.dtype = parse_dtype(dtype_text);
                options.threads = o->threads;
                options.device = o->device;
                if (backend_name == "cpu-ref" && options.dtype != DType::F32) {
                    std::cerr << "cliprt: skipping cpu-ref " << dtype_text << " (the reference computes in f32 only)\n";
                    continue;
                }
                if (backend_name == "cpu" && options.dtype != DType::F32 && options.dtype != DType::BF16) {
                    std::cerr << "cliprt: skipping cpu " << dtype_text << " (the cpu backend runs f32 or bf16)\n";
                    continue;
                }
                cache_choice.next_backend();
                const auto backend_start = std::chrono::steady_clock::now();
                auto backend = create_backend(backend_name, options);
                ClipSession session(model, *backend);
                session.set_trim_text(!o->full_context);
                const double backend_seconds = seconds_since(backend_start);
                bool first = true;
                for (const std::string& tower : split(o->towers)) {
                    for (const std::string& batch_text : split(o->batches)) {
                        const int batch = std::stoi(batch_text);
                        if (batch < 1) throw std::runtime_error("batch sizes must be >= 1");
                        const Tensor input = bench_input(cfg, tower, batch);
                        auto forward = [&] {
                            return tower == "image" ? session.encode_image(input, true)
                                                    : session.encode_text(input, true);
                        };
                        const auto first_start = std::chrono::steady_clock::now();
                        forward();  // compile, upload weights, create pipelines, warm caches
                        if (first) {
                            // Time to the first embedding: the model's load, the backend's creation, and the
                            // first forward (which compiles the graph, uploads the weights and creates the
                            // pipelines it needs).
                            first = false;
                            const double first_seconds = seconds_since(first_start);
                            const StartupStats st = startup_stats(*backend);
                            const double total = load_seconds + backend_seconds + first_seconds;
                            startups.push_back({{"model", cfg.name},
                                                {"backend", backend_name},
                                                {"dtype", dtype_name(options.dtype)},
                                                {"tower", tower},
                                                {"batch", batch},
                                                {"load_ms", 1000 * load_seconds},
                                                {"backend_ms", 1000 * backend_seconds},
                                                {"first_forward_ms", 1000 * first_seconds},
                                                {"first_embedding_ms", 1000 * total},
                                                {"pipelines", st.pipelines},
                                                {"pipelines_ms", 1000 * st.pipeline_seconds},
                                                {"pipeline_cache", st.pipeline_cache},
                                                {"pipeline_cache_detail", st.pipeline_cache_detail},
                                                {"pipeline_cache_hits", st.pipeline_cache_hits}});
                            auto ms_text = [](double seconds) { return std::to_string(std::lround(1000 * seconds)); };
                            std::string line = "startup " + cfg.name + " " + backend_name + " " +
                                               dtype_name(options.dtype) + " (" + tower + ", batch " +
                                               std::to_string(batch) + "): load " +
                                               ms_text(load_seconds + backend_seconds) + " ms (model " +
                                               ms_text(load_seconds) + ", backend " + ms_text(backend_seconds) + "), ";
                            if (!st.pipeline_cache.empty()) {
                                line += "pipelines " + ms_text(st.pipeline_seconds) + " ms for " +
                                        std::to_string(st.pipelines) + " (cache " + st.pipeline_cache +
                                        (st.pipeline_cache_hits >= 0
                                             ? ", " + std::to_string(st.pipeline_cache_hits) + " hits"
                                             : std::string()) +
                                        "), ";
                            }
                            line += "first forward " + ms_text(first_seconds) + " ms; first embedding after " +
                                    ms_text(total) + " ms";
                            startup_lines.push_back(line);
                        }
                        int runs = 0;
                        const auto start = std::chrono::steady_clock::now();
                        double elapsed = 0;
                        do {
                            forward();
                            ++runs;
                            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                        } while (elapsed < o->min_seconds);
                        const double ms = 1000.0 * elapsed / runs;
                        const double per_second = batch * runs / elapsed;
                        const Program& program = session.last_compiled()->program();
                        const std::string dtype =
                            dtype_name(options.dtype);  // as asked: cpu bf16 stores f32 activations
                        const NodeCost cost =
                            graph_cost(session.last_compiled()->graph(), backend->float_storage_dtype());
                        const double gflop = 1e-9 * static_cast<double>(cost.flops);
                        const double gflop_per_second = gflop * runs / elapsed;
                        if (o->json) {
                            rows.push_back({{"model", cfg.name},
                                            {"backend", backend_name},
                                            {"device", backend->device_info().name},
                                            {"tower", tower},
                                            {"dtype", dtype},
                                            {"batch", batch},
                                            {"items_per_second", per_second},
                                            {"ms_per_forward", ms},
                                            {"runs", runs},
                                            {"dispatches", program.dispatch_count()},
                                            {"submits", program.submit_count()},
                                            {"threads", o->threads},
                                            {"text_length", tower == "text" ? program_input_length(session) : 0},
                                            {"gflop_per_forward", gflop},
                                            {"gbytes_per_forward", 1e-9 * static_cast<double>(cost.bytes)},
                                            {"gflop_per_second", gflop_per_second}});
                        } else {
                            std::printf("%-12s %-8s %-6s %-5s %6d %12.2f %12.2f %10d %8d %10.3f %9.1f\n",
                                        cfg.name.c_str(), backend_name.c_str(), tower.c_str(), dtype.c_str(), batch,
                                        per_second, ms, program.dispatch_count(), program.submit_count(), gflop,
                                        gflop_per_second);
                        }
                    }
                }
            }
        }
        if (o->json) {
            std::cout << nlohmann::json{{"weights", o->weights}, {"results", rows}, {"startup", startups}}.dump(2)
                      << "\n";
        } else {
            for (const std::string& line : startup_lines) std::printf("%s\n", line.c_str());
        }
        return 0;
    };
}

}  // namespace cliprt::app
