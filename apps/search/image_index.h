// The index database: one SQLite file holding the identity of the model that made it and, per image
// file, its path, size, mtime, content hash and embedding. WAL journal and one transaction per batch,
// so a process killed at any moment leaves the last committed state and a rerun resumes from it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace cliprt::search {

struct ModelRecord {
    std::string identity;  // ClipEmbedder::identity(): config + weight contents
    std::string name;      // how to open it again: model directory / built-in name / config
    std::string weights;   // --weights it was opened with ("" for a directory)
    int dim = 0;
};

struct FileRecord {
    std::string path;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    std::string hash;
};

// Every stored embedding, in path order: rows x dim f32 (as written by the model, L2-normalized).
struct StoredEmbeddings {
    std::vector<std::string> paths;
    std::vector<float> values;
    int dim = 0;
};

class ImageIndex {
public:
    // create=false: the file must exist and be a cliprt index (search, dupes).
    // create=true: creates the file and schema if needed (index). Throws Error naming the file.
    static std::unique_ptr<ImageIndex> open(const std::string& path, bool create);
    // For commands that only read (search, dupes, serve): nothing is written, so an index on a
    // read-only mount, in another user's folder or on a full disk can still be searched.
    static std::unique_ptr<ImageIndex> open_read_only(const std::string& path);
    ~ImageIndex();
    ImageIndex(const ImageIndex&) = delete;
    ImageIndex& operator=(const ImageIndex&) = delete;

    const std::string& path() const { return path_; }
    std::optional<ModelRecord> model() const;
    // Records the model of a new index; an index that already has one keeps it: the identities must
    // match, otherwise throws Error explaining which model made the index.
    void bind_model(const ModelRecord& model);
    // Throws Error unless the index was made by a model with this identity.
    void require_model(const ModelRecord& model) const;

    std::vector<FileRecord> files() const;
    int64_t count() const;
    // The embedding of any row with this content hash (copies need no forward), if there is one.
    std::optional<std::vector<float>> embedding_with_hash(const std::string& hash) const;
    std::optional<std::vector<float>> embedding_of(const std::string& path) const;
    StoredEmbeddings load_embeddings() const;

    // Writes; call inside begin()/commit().
    void begin();
    void commit();
    void rollback();
    void put(const FileRecord& file, const std::vector<float>& embedding);  // insert or replace
    void rename(const std::string& from, const FileRecord& to);             // keeps the embedding
    void remove(const std::string& path);

    // SQLite's integrity_check: "ok" for a sound file.
    std::string integrity_check() const;

private:
    enum class Access { ReadOnly, ReadWrite, Create };
    static std::unique_ptr<ImageIndex> open_with(const std::string& path, Access access);
    ImageIndex() = default;
    void exec(const char* sql) const;
    std::string path_;
    sqlite3* db_ = nullptr;
};

// Opens a transaction and rolls it back on destruction unless committed (an exception mid-batch
// leaves the index as it was before the batch).
class IndexTransaction {
public:
    explicit IndexTransaction(ImageIndex& index) : index_(index) { index_.begin(); }
    ~IndexTransaction() {
        if (!done_) {
            try {
                index_.rollback();
            } catch (...) {
            }
        }
    }
    void commit() {
        index_.commit();
        done_ = true;
    }

private:
    ImageIndex& index_;
    bool done_ = false;
};

}  // namespace cliprt::search
