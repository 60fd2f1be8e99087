#include "search/model_choice.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cliprt/error.h"
#include "search/file_scan.h"

namespace cliprt::search {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// Paths are recorded absolute so a search from another directory opens the same model.
std::string absolute_if_exists(const std::string& p) {
    std::error_code ec;
    return !p.empty() && fs::exists(p, ec) ? normalize_path(p) : p;
}

}  // namespace

std::string choose_db_path(const std::string& db_option) {
    if (!db_option.empty()) return db_option;
    const std::string from_env = env("CLIPRT_DB");
    return from_env.empty() ? "cliprt.db" : from_env;
}

ModelChoice choose_model(const std::string& model_option, const std::string& weights_option,
                         const std::optional<ModelRecord>& recorded) {
    if (!model_option.empty()) return {model_option, weights_option, "--model"};
    if (!weights_option.empty()) fail("--weights needs --model");
    const std::string from_env = env("CLIPRT_MODEL");
    if (!from_env.empty()) return {from_env, "", "$CLIPRT_MODEL"};
    if (recorded) {
        std::error_code ec;
        const bool builtin_or_present = recorded->name.find('/') == std::string::npos || fs::exists(recorded->name, ec);
        if (!builtin_or_present) {
            fail("the model that made this index, ", recorded->name, ", is no longer there; pass --model");
        }
        return {recorded->name, recorded->weights, "the index"};
    }
    std::error_code ec;
    if (fs::is_directory("models/default", ec)) return {normalize_path("models/default"), "", "models/default"};
    fail("no model given and no models/default in ", fs::current_path().string(),
         ": pass --model DIR (an open_clip or Hugging Face model directory) or set CLIPRT_MODEL");
}

std::unique_ptr<ClipEmbedder> open_embedder(const ModelChoice& choice, const std::string& backend, int batch) {
    EmbedderOptions options;
    options.model = choice.model;
    options.weights = choice.weights;
    options.backend = backend;
    options.batch = batch;
    std::string note;
    std::unique_ptr<ClipEmbedder> embedder = ClipEmbedder::open(options, &note);
    if (!note.empty()) std::cerr << "cliprt: " << note << "\n";
    return embedder;
}

ModelRecord record_of(ClipEmbedder& embedder, const ModelChoice& choice) {
    const std::string weights = choice.weights == "synthetic" ? choice.weights : absolute_if_exists(choice.weights);
    return ModelRecord{embedder.identity(), absolute_if_exists(choice.model), weights, embedder.dim()};
}

}  // namespace cliprt::search
