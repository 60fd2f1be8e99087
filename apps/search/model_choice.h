// Which model and which index file a search-app command uses when the user does not say.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "models/clip_embedder.h"
#include "search/image_index.h"

namespace cliprt::search {

// --db, else $CLIPRT_DB, else cliprt.db in the current directory.
std::string choose_db_path(const std::string& db_option);

struct ModelChoice {
    std::string model;
    std::string weights;
    std::string source;  // where the choice came from, for messages
};

// --model (with --weights), else $CLIPRT_MODEL, else the model recorded in the index (search and
// re-index reuse what made it), else models/default under the current directory. Throws Error
// with what to do when none of them exists.
ModelChoice choose_model(const std::string& model_option, const std::string& weights_option,
                         const std::optional<ModelRecord>& recorded);

// Opens the chosen model; backend fallback notes go to stderr.
std::unique_ptr<ClipEmbedder> open_embedder(const ModelChoice& choice, const std::string& backend, int batch);

// What the index records about a model: its identity, and how to open it again (paths absolute).
ModelRecord record_of(ClipEmbedder& embedder, const ModelChoice& choice);

}  // namespace cliprt::search
