// Bringing an index up to date with the folders it covers: unchanged files (same size and mtime) are
// skipped, moved files (same content hash under a new path) keep their embedding, copies reuse one,
// deleted files are pruned, and only new or changed content is embedded, batch by batch, each batch
// committed in its own transaction.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "search/image_index.h"

namespace cliprt::search {

// What the embedder made of one file: an embedding of the index's dim, or why it failed.
struct EmbedOutcome {
    std::vector<float> embedding;
    std::string error;  // empty on success
};
// Embeds the files of one batch (paths in order); a bad file is an outcome with an error, not a throw.
using EmbedBatchFn = std::function<std::vector<EmbedOutcome>(const std::vector<std::string>& paths)>;

struct IndexOptions {
    size_t batch = 32;
    // Called before the first batch (done = 0) and after each committed batch.
    std::function<void(size_t done, size_t total)> progress;
    // Test hooks for the crash tests: after each row written inside an open transaction (count of
    // rows written so far) and after each commit of an embedding batch (count of batches so far).
    std::function<void(size_t rows_written)> after_row;
    std::function<void(size_t batches_committed)> after_commit;
};

struct IndexReport {
    size_t scanned = 0;    // image files found under the roots
    size_t unchanged = 0;  // same size and mtime as stored
    size_t added = 0;      // new paths embedded
    size_t updated = 0;    // known paths whose content changed, embedded again
    size_t moved = 0;      // new paths whose content was stored under a vanished path
    size_t copied = 0;     // new or changed paths whose content is stored under another path
    size_t touched = 0;    // mtime changed, content the same
    size_t removed = 0;    // stored paths under the roots that are gone
    size_t embedded = 0;   // files that went through the embedder successfully
    std::vector<std::pair<std::string, std::string>> failures;  // path, reason
};

// Updates `index` for the image files under `roots`. Rows outside the roots are left alone (an
// index may cover several folders indexed separately). `dim` is the model's embedding size.
IndexReport update_index(ImageIndex& index, const std::vector<std::string>& roots, int dim, const EmbedBatchFn& embed,
                         const IndexOptions& options = {});

}  // namespace cliprt::search
