#include "search/image_index.h"

#include <sqlite3.h>

#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "cliprt/error.h"

namespace cliprt::search {

namespace {

constexpr int kSchemaVersion = 1;

// One prepared statement, finalized on scope exit.
class Statement {
public:
    Statement(sqlite3* db, const char* sql, const std::string& file) : db_(db), file_(file) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) raise("prepare");
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement& bind(int i, const std::string& v) {
        check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
        return *this;
    }
    Statement& bind(int i, int64_t v) {
        check(sqlite3_bind_int64(stmt_, i, v));
        return *this;
    }
    Statement& bind_blob(int i, const void* data, size_t size) {
        check(sqlite3_bind_blob(stmt_, i, data, static_cast<int>(size), SQLITE_TRANSIENT));
        return *this;
    }
    bool step() {  // true while a row is available
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        raise("step");
    }
    std::string text(int col) const {
        const auto* p = sqlite3_column_text(stmt_, col);
        return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : std::string();
    }
    int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    std::vector<float> floats(int col) const {
        const int bytes = sqlite3_column_bytes(stmt_, col);
        std::vector<float> out(static_cast<size_t>(bytes) / sizeof(float));
        if (bytes % sizeof(float) != 0) fail(file_, ": corrupt embedding blob of ", bytes, " bytes");
        if (bytes > 0) std::memcpy(out.data(), sqlite3_column_blob(stmt_, col), bytes);
        return out;
    }

private:
    void check(int rc) {
        if (rc != SQLITE_OK) raise("bind");
    }
    [[noreturn]] void raise(const char* what) { fail(file_, ": SQLite ", what, " failed: ", sqlite3_errmsg(db_)); }
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string file_;
};

}  // namespace

namespace {

// "file:" URI of a path, every byte but unreserved ones and '/' percent-encoded.
std::string file_uri(const std::string& path) {
    std::string uri = "file:";
    for (const unsigned char c : path) {
        if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
            uri += static_cast<char>(c);
        } else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", c);
            uri += hex;
        }
    }
    return uri;
}

// The tables of the database; throws Error with SQLite's reason (the first read of the file).
void read_tables(sqlite3* db, const std::string& path, bool& has_files, bool& has_model, bool& has_other) {
    has_files = has_model = has_other = false;
    Statement tables(db, "SELECT name FROM sqlite_master WHERE type = 'table'", path);
    while (tables.step()) {
        const std::string name = tables.text(0);
        if (name == "files")
            has_files = true;
        else if (name == "model")
            has_model = true;
        else
            has_other = true;
    }
}

}  // namespace

std::unique_ptr<ImageIndex> ImageIndex::open(const std::string& path, bool create) {
    return open_with(path, create ? Access::Create : Access::ReadWrite);
}

std::unique_ptr<ImageIndex> ImageIndex::open_read_only(const std::string& path) {
    return open_with(path, Access::ReadOnly);
}

std::unique_ptr<ImageIndex> ImageIndex::open_with(const std::string& path, Access access) {
    const bool create = access == Access::Create;
    if (!create && !std::filesystem::exists(path)) {
        fail("no index at ", path, " (create one with: cliprt index DIR --db ", path, ")");
    }
    std::unique_ptr<ImageIndex> index(new ImageIndex());
    index->path_ = path;
    auto connect = [&](const std::string& name, int flags) {
        if (index->db_) sqlite3_close_v2(index->db_);
        index->db_ = nullptr;
        if (sqlite3_open_v2(name.c_str(), &index->db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
            fail("cannot open index ", path, ": ", index->db_ ? sqlite3_errmsg(index->db_) : "out of memory");
        }
        sqlite3_busy_timeout(index->db_, 10000);  // another cliprt writing the same index: wait, then fail
    };
    connect(path, access == Access::ReadOnly ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
    // The first statement reads the header: a file that is not SQLite fails here with a clear message.
    bool has_files = false, has_model = false, has_other = false;
    try {
        read_tables(index->db_, path, has_files, has_model, has_other);
    } catch (const Error&) {
        const int code = sqlite3_errcode(index->db_);
        if (code == SQLITE_NOTADB) fail(path, " is not a cliprt index (SQLite: ", sqlite3_errmsg(index->db_), ")");
        // A WAL index in a folder we cannot write (read-only mount, another user's folder) cannot get
        // its shared-memory file; read it as immutable instead (nothing can write there either).
        bool reopened = false;
        if (access == Access::ReadOnly && (code == SQLITE_CANTOPEN || (code & 0xFF) == SQLITE_READONLY)) {
            connect(file_uri(path) + "?immutable=1", SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
            try {
                read_tables(index->db_, path, has_files, has_model, has_other);
                reopened = true;
            } catch (const Error&) {
            }
        }
        if (!reopened) {
            fail("cannot read the index ", path, " (SQLite: ", sqlite3_errmsg(index->db_), ")",
                 access == Access::ReadOnly ? ""
                                            : "; commands that write the index need write access to it and its folder");
        }
    }
    if (has_other && !(has_files && has_model)) fail(path, " is an SQLite database but not a cliprt index");
    if (!create && !(has_files && has_model)) fail(path, " is not a cliprt index (no model or files table)");
    if (access == Access::ReadOnly) return index;
    // WAL: readers never block the writer and a killed writer leaves only uncommitted frames behind.
    // synchronous=NORMAL keeps every commit durable against a killed process (not against power loss).
    index->exec("PRAGMA journal_mode = WAL");
    index->exec("PRAGMA synchronous = NORMAL");
    if (create) {
        index->exec(
            "BEGIN IMMEDIATE;"
            "CREATE TABLE IF NOT EXISTS model (id INTEGER PRIMARY KEY CHECK (id = 1), identity TEXT NOT NULL,"
            " name TEXT NOT NULL, weights TEXT NOT NULL, dim INTEGER NOT NULL, schema_version INTEGER NOT NULL);"
            "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL,"
            " mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL, embedding BLOB NOT NULL);"
            "CREATE INDEX IF NOT EXISTS files_hash ON files (hash);"
            "COMMIT;");
    }
    return index;
}

ImageIndex::~ImageIndex() { sqlite3_close_v2(db_); }

void ImageIndex::exec(const char* sql) const {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        const std::string text = message ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        fail(path_, ": SQLite: ", text);
    }
}

std::optional<ModelRecord> ImageIndex::model() const {
    Statement s(db_, "SELECT identity, name, weights, dim, schema_version FROM model WHERE id = 1", path_);
    if (!s.step()) return std::nullopt;
    if (s.integer(4) != kSchemaVersion) {
        fail(path_, " has index schema version ", s.integer(4), "; this cliprt reads version ", kSchemaVersion);
    }
    return ModelRecord{s.text(0), s.text(1), s.text(2), static_cast<int>(s.integer(3))};
}

void ImageIndex::require_model(const ModelRecord& model) const {
    const std::optional<ModelRecord> made_by = this->model();
    if (!made_by) fail(path_, " holds no model yet: run cliprt index first");
    if (made_by->identity != model.identity || made_by->dim != model.dim) {
        fail("index ", path_, " was made by model '", made_by->name, "' (identity ", made_by->identity.substr(0, 16),
             ", dim ", made_by->dim, "), not by '", model.name, "' (identity ", model.identity.substr(0, 16), ", dim ",
             model.dim, "); use that model, or another --db for this one");
    }
}

void ImageIndex::bind_model(const ModelRecord& model) {
    if (model.dim <= 0 || model.identity.empty()) fail("invalid model record for ", path_);
    if (this->model()) {
        require_model(model);
        return;
    }
    Statement s(db_, "INSERT INTO model (id, identity, name, weights, dim, schema_version) VALUES (1, ?, ?, ?, ?, ?)",
                path_);
    s.bind(1, model.identity).bind(2, model.name).bind(3, model.weights).bind(4, int64_t{model.dim});
    s.bind(5, int64_t{kSchemaVersion}).step();
}

std::vector<FileRecord> ImageIndex::files() const {
    Statement s(db_, "SELECT path, size, mtime_ns, hash FROM files ORDER BY path", path_);
    std::vector<FileRecord> out;
    while (s.step()) out.push_back({s.text(0), s.integer(1), s.integer(2), s.text(3)});
    return out;
}

int64_t ImageIndex::count() const {
    Statement s(db_, "SELECT COUNT(*) FROM files", path_);
    s.step();
    return s.integer(0);
}

std::optional<std::vector<float>> ImageIndex::embedding_with_hash(const std::string& hash) const {
    Statement s(db_, "SELECT embedding FROM files WHERE hash = ? LIMIT 1", path_);
    s.bind(1, hash);
    if (!s.step()) return std::nullopt;
    return s.floats(0);
}

std::optional<std::vector<float>> ImageIndex::embedding_of(const std::string& path) const {
    Statement s(db_, "SELECT embedding FROM files WHERE path = ?", path_);
    s.bind(1, path);
    if (!s.step()) return std::nullopt;
    return s.floats(0);
}

StoredEmbeddings ImageIndex::load_embeddings() const {
    StoredEmbeddings out;
    const std::optional<ModelRecord> made_by = model();
    if (!made_by) return out;
    out.dim = made_by->dim;
    const int64_t rows = count();
    out.paths.reserve(static_cast<size_t>(rows));
    out.values.reserve(static_cast<size_t>(rows) * out.dim);
    Statement s(db_, "SELECT path, embedding FROM files ORDER BY path", path_);
    while (s.step()) {
        std::vector<float> e = s.floats(1);
        if (static_cast<int>(e.size()) != out.dim) {
            fail(path_, ": embedding of ", s.text(0), " has ", e.size(), " values, the model's dim is ", out.dim);
        }
        out.paths.push_back(s.text(0));
        out.values.insert(out.values.end(), e.begin(), e.end());
    }
    return out;
}

void ImageIndex::begin() { exec("BEGIN IMMEDIATE"); }
void ImageIndex::commit() { exec("COMMIT"); }
void ImageIndex::rollback() { exec("ROLLBACK"); }

void ImageIndex::put(const FileRecord& file, const std::vector<float>& embedding) {
    Statement s(db_, "INSERT OR REPLACE INTO files (path, size, mtime_ns, hash, embedding) VALUES (?, ?, ?, ?, ?)",
                path_);
    s.bind(1, file.path).bind(2, file.size).bind(3, file.mtime_ns).bind(4, file.hash);
    s.bind_blob(5, embedding.data(), embedding.size() * sizeof(float)).step();
}

void ImageIndex::rename(const std::string& from, const FileRecord& to) {
    if (from != to.path) {
        Statement del(db_, "DELETE FROM files WHERE path = ?", path_);
        del.bind(1, to.path).step();
    }
    Statement s(db_, "UPDATE files SET path = ?, size = ?, mtime_ns = ?, hash = ? WHERE path = ?", path_);
    s.bind(1, to.path).bind(2, to.size).bind(3, to.mtime_ns).bind(4, to.hash).bind(5, from).step();
}

void ImageIndex::remove(const std::string& path) {
    Statement s(db_, "DELETE FROM files WHERE path = ?", path_);
    s.bind(1, path).step();
}

std::string ImageIndex::integrity_check() const {
    Statement s(db_, "PRAGMA integrity_check", path_);
    std::string out;
    while (s.step()) out += (out.empty() ? "" : "; ") + s.text(0);
    return out;
}

}  // namespace cliprt::search
