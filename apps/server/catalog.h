// What the server knows of the index: a snapshot of its rows (path, opaque id, embedding) and its
// model, reloaded when the database file changes (a `cliprt index` run while serving shows up on the
// next request without a restart).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "search/image_index.h"
#include "search/vector_search.h"

namespace cliprt::server {

// The id the API uses for an indexed file: 16 hex digits of the FNV-1a 64 hash of its path. Stable
// across re-indexing and reloads (unlike a row number) and never a path, so no request names a file.
std::string image_id(const std::string& path);
// True for exactly 16 lowercase hex digits.
bool is_image_id(const std::string& text);

struct Snapshot {
    std::optional<search::ModelRecord> model;
    std::vector<std::string> paths;  // row order of the matrix
    std::vector<std::string> ids;
    std::unordered_map<std::string, size_t> row_of_id;
    search::EmbeddingMatrix matrix{1, search::MatrixType::F32};
    int64_t last_indexed_ns = 0;  // newest modification time of the database file or its WAL

    std::optional<size_t> row(const std::string& id) const;
};

class Catalog {
public:
    // Opens the index once (throws Error if it is not one) and loads the first snapshot.
    explicit Catalog(std::string db_path);
    const std::string& db_path() const { return db_path_; }
    // The current snapshot, reloaded first if the database or its WAL changed since the last load.
    std::shared_ptr<const Snapshot> current();

private:
    std::string signature() const;
    std::string db_path_;
    std::mutex mutex_;
    std::string loaded_signature_;
    std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace cliprt::server
