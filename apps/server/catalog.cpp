#include "server/catalog.h"

#include <sys/stat.h>

#include <cstdio>

namespace cliprt::server {

namespace {

struct FileStamp {
    int64_t size = -1;
    int64_t mtime_ns = 0;
};

FileStamp stamp(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    return {static_cast<int64_t>(st.st_size),
            static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

}  // namespace

std::string image_id(const std::string& path) {
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char c : path) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
}

bool is_image_id(const std::string& text) {
    if (text.size() != 16) return false;
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

std::optional<size_t> Snapshot::row(const std::string& id) const {
    const auto it = row_of_id.find(id);
    if (it == row_of_id.end()) return std::nullopt;
    return it->second;
}

Catalog::Catalog(std::string db_path) : db_path_(std::move(db_path)) { current(); }

std::string Catalog::signature() const {
    const FileStamp db = stamp(db_path_), wal = stamp(db_path_ + "-wal");
    return std::to_string(db.size) + "/" + std::to_string(db.mtime_ns) + "/" + std::to_string(wal.size) + "/" +
           std::to_string(wal.mtime_ns);
}

std::shared_ptr<const Snapshot> Catalog::current() {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string before = signature();
    if (snapshot_ && before == loaded_signature_) return snapshot_;

    auto snap = std::make_shared<Snapshot>();
    {
        const std::unique_ptr<search::ImageIndex> index = search::ImageIndex::open_read_only(db_path_);
        snap->model = index->model();
        search::StoredEmbeddings stored = index->load_embeddings();
        const size_t dim =
            stored.dim > 0 ? static_cast<size_t>(stored.dim) : static_cast<size_t>(snap->model ? snap->model->dim : 1);
        snap->matrix = search::EmbeddingMatrix::from_f32(stored.values, dim, search::MatrixType::F32);
        snap->paths = std::move(stored.paths);
    }
    for (size_t r = 0; r < snap->paths.size(); ++r) {
        snap->ids.push_back(image_id(snap->paths[r]));
        snap->row_of_id.emplace(snap->ids.back(), r);  // a (astronomically unlikely) collision keeps the first
    }
    const FileStamp db = stamp(db_path_), wal = stamp(db_path_ + "-wal");
    snap->last_indexed_ns = std::max(db.mtime_ns, wal.mtime_ns);
    // Taken after reading: our own open/close may touch the WAL, which must not look like a change.
    loaded_signature_ = signature();
    snapshot_ = std::move(snap);
    return snapshot_;
}

}  // namespace cliprt::server
