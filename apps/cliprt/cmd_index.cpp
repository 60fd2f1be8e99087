// cliprt index: bring an image index up to date with one or more folders (incremental, resumable).
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cliprt/error.h"
#include "cliprt/image.h"
#include "commands.h"
#include "search/image_index.h"
#include "search/indexer.h"
#include "search/model_choice.h"
#include "search/progress.h"

namespace cliprt::app {

namespace {

struct IndexArgs {
    std::vector<std::string> dirs;
    std::string db;
    std::string model;
    std::string weights;
    std::string backend = "auto";
    int batch = 16;
};

// Crash-test hook: CLIPRT_TEST_KILL_INDEX="commit:N" (after the Nth committed embedding batch) or
// "row:N" (after the Nth row written inside an open transaction) SIGKILLs this process, so the
// tests can check that a kill at those points loses nothing committed.
void install_kill_hook(search::IndexOptions& options) {
    const char* spec = std::getenv("CLIPRT_TEST_KILL_INDEX");
    if (!spec) return;
    const std::string s = spec;
    const size_t colon = s.find(':');
    if (colon == std::string::npos) return;
    const size_t n = std::strtoul(s.c_str() + colon + 1, nullptr, 10);
    auto kill_at = [n](size_t count) {
        if (count == n) std::raise(SIGKILL);
    };
    if (s.compare(0, colon, "commit") == 0) options.after_commit = kill_at;
    if (s.compare(0, colon, "row") == 0) options.after_row = kill_at;
}

}  // namespace

Command add_index_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand(
        "index",
        "Index the images under folders for search (incremental: unchanged files are skipped, moved files "
        "keep their embedding, deleted files are pruned)");
    auto a = std::make_shared<IndexArgs>();
    cmd->add_option("DIR", a->dirs, "Folders (searched recursively for png jpg jpeg bmp gif tga) or image files")
        ->required();
    cmd->add_option("--db", a->db, "Index file (default: $CLIPRT_DB, else cliprt.db in the current directory)");
    cmd->add_option("--model", a->model,
                    "Model directory, config or built-in name (default: $CLIPRT_MODEL, else the model that made "
                    "the index, else models/default in the current directory)");
    cmd->add_option("--weights", a->weights, "'synthetic' or a .safetensors file, with --model");
    cmd->add_option("--backend", a->backend, "cpu, vulkan, cuda or auto")->capture_default_str();
    cmd->add_option("--batch", a->batch, "Images per forward and per committed transaction")
        ->capture_default_str()
        ->check(CLI::Range(1, 4096));
    return [a] {
        for (const std::string& dir : a->dirs) {  // before the slow model load
            if (!std::filesystem::exists(dir)) fail("no such file or directory: ", dir);
        }
        const std::string db_path = search::choose_db_path(a->db);
        // A new index file is created only once the model has opened: a typo leaves no empty file.
        std::unique_ptr<search::ImageIndex> index;
        if (std::filesystem::exists(db_path)) index = search::ImageIndex::open(db_path, true);
        const search::ModelChoice choice =
            search::choose_model(a->model, a->weights, index ? index->model() : std::nullopt);
        std::unique_ptr<ClipEmbedder> embedder = search::open_embedder(choice, a->backend, a->batch);
        if (!index) index = search::ImageIndex::open(db_path, true);
        index->bind_model(search::record_of(*embedder, choice));  // refuses an index of another model

        search::IndexOptions options;
        options.batch = static_cast<size_t>(a->batch);
        search::ProgressReporter progress(std::cerr, ::isatty(STDERR_FILENO) == 1);
        options.progress = [&progress](size_t done, size_t total) { progress.update(done, total); };
        install_kill_hook(options);
        const auto embed = [&embedder](const std::vector<std::string>& paths) {
            std::vector<search::EmbedOutcome> out(paths.size());
            std::vector<Tensor> images;
            std::vector<size_t> decoded;
            for (size_t i = 0; i < paths.size(); ++i) {
                try {
                    images.push_back(embedder->load_image(paths[i]));
                    decoded.push_back(i);
                } catch (const std::exception& e) {
                    out[i].error = e.what();
                }
            }
            if (images.empty()) return out;
            const Tensor e = embedder->embed_images(stack_images(images), true);
            const int dim = embedder->dim();
            for (size_t j = 0; j < decoded.size(); ++j) {
                const float* row = e.f32() + j * dim;
                out[decoded[j]].embedding.assign(row, row + dim);
            }
            return out;
        };
        const auto start = std::chrono::steady_clock::now();
        const search::IndexReport r = search::update_index(*index, a->dirs, embedder->dim(), embed, options);
        progress.finish();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        std::printf(
            "%s: %zu images found: %zu unchanged, %zu added, %zu updated, %zu moved, %zu copies, %zu touched, "
            "%zu removed, %zu failed\n",
            db_path.c_str(), r.scanned, r.unchanged, r.added, r.updated, r.moved, r.copied, r.touched, r.removed,
            r.failures.size());
        if (r.embedded > 0) {
            std::printf("embedded %zu images in %.2f s (%.1f images/s, %s backend); index holds %lld images\n",
                        r.embedded, seconds, r.embedded / seconds, embedder->backend_name().c_str(),
                        static_cast<long long>(index->count()));
        } else {
            std::printf("index holds %lld images\n", static_cast<long long>(index->count()));
        }
        if (!r.failures.empty()) {
            std::printf("skipped %zu files:\n", r.failures.size());
            for (const auto& [path, reason] : r.failures) {
                // Decoder messages usually name the file already.
                const std::string line = reason.rfind(path, 0) == 0 ? reason : path + ": " + reason;
                std::printf("  %s\n", line.c_str());
            }
        }
        return 0;
    };
}

}  // namespace cliprt::app
