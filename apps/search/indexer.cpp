#include "search/indexer.h"

#include <map>
#include <unordered_map>

#include "cliprt/error.h"
#include "search/content_hash.h"
#include "search/file_scan.h"

namespace cliprt::search {

namespace {

bool under_root(const std::string& path, const std::string& root) {
    if (path == root) return true;
    if (root == "/") return true;
    return path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/';
}

}  // namespace

IndexReport update_index(ImageIndex& index, const std::vector<std::string>& roots, int dim, const EmbedBatchFn& embed,
                         const IndexOptions& options) {
    if (options.batch == 0) fail("--batch must be at least 1");
    IndexReport report;
    const ScanResult scan = scan_images(roots);
    for (const std::string& e : scan.errors) report.failures.emplace_back(e, "cannot list");
    report.scanned = scan.files.size();

    std::vector<std::string> normal_roots;
    for (const std::string& r : roots) normal_roots.push_back(normalize_path(r));
    std::map<std::string, FileRecord> stored;
    for (FileRecord& f : index.files()) stored.emplace(f.path, std::move(f));

    // Stored rows under the roots whose file is gone: deleted, or the source of a move.
    std::map<std::string, bool> present;
    for (const ScannedFile& f : scan.files) present[f.path] = true;
    std::unordered_multimap<std::string, std::string> vanished_by_hash;  // hash -> stored path
    std::vector<std::string> vanished;
    for (const auto& [path, rec] : stored) {
        if (present.count(path)) continue;
        bool covered = false;
        for (const std::string& r : normal_roots) covered = covered || under_root(path, r);
        if (!covered) continue;
        vanished.push_back(path);
        vanished_by_hash.emplace(rec.hash, path);
    }

    // New or changed files: hash them, then decide between metadata-only updates and embedding.
    struct Pending {
        FileRecord file;
        bool known = false;  // the path has a stored row
    };
    std::vector<Pending> to_embed;
    std::vector<std::pair<std::string, FileRecord>> renames;  // vanished path -> new record
    std::vector<std::pair<FileRecord, std::vector<float>>> copies;
    std::vector<FileRecord> touches;
    for (const ScannedFile& f : scan.files) {
        const auto it = stored.find(f.path);
        const bool known = it != stored.end();
        if (known && it->second.size == f.size && it->second.mtime_ns == f.mtime_ns) {
            ++report.unchanged;
            continue;
        }
        FileRecord rec{f.path, f.size, f.mtime_ns, ""};
        try {
            rec.hash = hash_file(f.path);
        } catch (const Error& e) {
            report.failures.emplace_back(f.path, e.what());
            continue;
        }
        if (known && it->second.hash == rec.hash) {
            touches.push_back(rec);
            continue;
        }
        const auto moved_from = vanished_by_hash.find(rec.hash);
        if (moved_from != vanished_by_hash.end()) {
            renames.emplace_back(moved_from->second, rec);
            vanished_by_hash.erase(moved_from);
            continue;
        }
        if (std::optional<std::vector<float>> e = index.embedding_with_hash(rec.hash)) {
            copies.emplace_back(rec, std::move(*e));
            continue;
        }
        to_embed.push_back({rec, known});
    }

    // Metadata-only changes and prunes: one transaction, no forwards.
    size_t rows_written = 0;
    auto wrote_row = [&] {
        ++rows_written;
        if (options.after_row) options.after_row(rows_written);
    };
    {
        IndexTransaction tx(index);
        for (const auto& [from, to] : renames) {
            index.rename(from, to);
            ++report.moved;
            wrote_row();
        }
        for (const auto& [rec, embedding] : copies) {
            index.put(rec, embedding);
            ++report.copied;
            wrote_row();
        }
        for (const FileRecord& rec : touches) {
            index.rename(rec.path, rec);
            ++report.touched;
            wrote_row();
        }
        std::map<std::string, bool> renamed_from;
        for (const auto& [from, to] : renames) renamed_from[from] = true;
        for (const std::string& path : vanished) {
            if (renamed_from.count(path)) continue;
            index.remove(path);
            ++report.removed;
            wrote_row();
        }
        tx.commit();
    }

    // Embedding, batch by batch; each batch is committed on its own so a kill loses at most one.
    const size_t total = to_embed.size();
    if (options.progress) options.progress(0, total);
    size_t batches = 0;
    for (size_t start = 0; start < total; start += options.batch) {
        const size_t end = std::min(total, start + options.batch);
        std::vector<std::string> paths;
        for (size_t i = start; i < end; ++i) paths.push_back(to_embed[i].file.path);
        const std::vector<EmbedOutcome> outcomes = embed(paths);
        if (outcomes.size() != paths.size()) fail("embedder returned ", outcomes.size(), " results for ", paths.size());
        IndexTransaction tx(index);
        for (size_t i = start; i < end; ++i) {
            const EmbedOutcome& out = outcomes[i - start];
            if (!out.error.empty()) {
                report.failures.emplace_back(to_embed[i].file.path, out.error);
                continue;
            }
            if (static_cast<int>(out.embedding.size()) != dim) {
                fail("embedder returned ", out.embedding.size(), " values for ", to_embed[i].file.path,
                     "; the index holds dim ", dim);
            }
            index.put(to_embed[i].file, out.embedding);
            ++(to_embed[i].known ? report.updated : report.added);
            ++report.embedded;
            wrote_row();
        }
        tx.commit();
        ++batches;
        if (options.after_commit) options.after_commit(batches);
        if (options.progress) options.progress(end, total);
    }
    return report;
}

}  // namespace cliprt::search
