// The incremental indexer and its SQLite storage with an injected embedder that counts its calls:
// re-indexing after adding, changing, moving, copying, touching and deleting files embeds exactly
// the new content; corrupt files are skipped and reported; a failure between batches loses no
// committed row; an index made by one model refuses another.
#include "search/image_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "cliprt/error.h"
#include "search/content_hash.h"
#include "search/file_scan.h"
#include "search/indexer.h"
#include "search_test_support.h"

namespace cliprt::search {
namespace {

using test::TempDir;
using test::write_file;

constexpr int kDim = 8;

// An embedding that is a function of the file's bytes, so a test can check which content a row holds.
std::vector<float> fake_embedding(const std::string& bytes) {
    const std::string h = hash_bytes(bytes.data(), bytes.size());
    std::vector<float> v(kDim);
    double norm = 0;
    for (int i = 0; i < kDim; ++i) {
        v[i] = static_cast<float>(std::stoi(h.substr(2 * i, 2), nullptr, 16)) - 127.5f;
        norm += v[i] * v[i];
    }
    for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
    return v;
}

// Embeds by content; files starting with "corrupt" fail like an undecodable image.
struct CountingEmbedder {
    std::vector<std::string> calls;  // every path given to the embedder
    EmbedBatchFn fn() {
        return [this](const std::vector<std::string>& paths) {
            std::vector<EmbedOutcome> out;
            for (const std::string& p : paths) {
                calls.push_back(p);
                const std::string bytes = test::read_file(p);
                EmbedOutcome o;
                if (bytes.rfind("corrupt", 0) == 0)
                    o.error = "cannot decode " + p + ": corrupt data";
                else
                    o.embedding = fake_embedding(bytes);
                out.push_back(std::move(o));
            }
            return out;
        };
    }
    std::set<std::string> take() {
        std::set<std::string> s(calls.begin(), calls.end());
        calls.clear();
        return s;
    }
};

ModelRecord model_a() { return {"vit-32-8-aaaaaaaaaaaaaaaa", "/models/a", "", kDim}; }

// Every row of the index matches a file on disk under dir with the right content embedding.
void expect_consistent(ImageIndex& index, const std::string& dir) {
    EXPECT_EQ(index.integrity_check(), "ok");
    std::set<std::string> on_disk;
    for (const ScannedFile& f : scan_images({dir}).files) on_disk.insert(f.path);
    std::set<std::string> rows;
    for (const FileRecord& r : index.files()) {
        rows.insert(r.path);
        const std::string bytes = test::read_file(r.path);
        EXPECT_EQ(r.hash, hash_bytes(bytes.data(), bytes.size())) << r.path;
        EXPECT_EQ(*index.embedding_of(r.path), fake_embedding(bytes)) << r.path;
    }
    EXPECT_EQ(rows, on_disk);
}

TEST(ImageIndex, ReindexTouchesOnlyWhatChanged) {
    TempDir dir;
    const std::string root = dir / "photos";
    write_file(root + "/a.png", "image a");
    write_file(root + "/b.jpg", "image b");
    write_file(root + "/sub/c.JPEG", "image c");
    write_file(root + "/sub/deeper/e.GiF", "image e");
    write_file(root + "/notes.txt", "not an image");
    write_file(root + "/x.webp", "not a supported extension");
    test::set_mtime(root + "/sub/deeper/e.GiF", 1000000);
    auto index = ImageIndex::open(dir / "index.db", true);
    index->bind_model(model_a());
    CountingEmbedder emb;
    IndexOptions options;
    options.batch = 2;

    IndexReport r = update_index(*index, {root}, kDim, emb.fn(), options);
    EXPECT_EQ(r.scanned, 4u);
    EXPECT_EQ(r.added, 4u);
    EXPECT_EQ(emb.take(), (std::set<std::string>{root + "/a.png", root + "/b.jpg", root + "/sub/c.JPEG",
                                                 root + "/sub/deeper/e.GiF"}));
    expect_consistent(*index, root);

    r = update_index(*index, {root}, kDim, emb.fn(), options);
    EXPECT_EQ(r.unchanged, 4u);
    EXPECT_TRUE(emb.take().empty());

    write_file(root + "/new/f.png", "image f");  // add
    r = update_index(*index, {root}, kDim, emb.fn(), options);
    EXPECT_EQ(emb.take(), std::set<std::string>{root + "/new/f.png"});
    EXPECT_EQ(r.added, 1u);
    EXPECT_EQ(r.unchanged, 4u);

    write_file(root + "/b.jpg", "image b, edited");  // change
    r = update_index(*index, {root}, kDim, emb.fn(), options);
    EXPECT_EQ(emb.take(), std::set<std::string>{root + "/b.jpg"});
    EXPECT_EQ(r.updated, 1u);

    const std::vector<float> c_embedding = *index->embedding_of(root + "/sub/c.JPEG");
    std::filesystem::create_directories(root + "/moved");
    std::filesystem::rename(root + "/sub/c.JPEG", root + "/moved/c2.jpeg");  // move
    r = update_index(*index, {root}, kDim, emb.fn(), options);
    EXPECT_TRUE(emb.take().empty());
    EXPECT_EQ(r.moved, 1u);
    EXPECT_EQ(r.removed, 0u);
    EXPECT_FALSE(index->embedding_of(root + "/sub/c.JPEG"));
    EXPECT_EQ(*index->embedding_of(root + "/moved/c2.jpeg"), c_embedding);

    std::filesystem::remove(root + "/a.png");  // delete
    r = update_index(*index, {root}, kDim, emb.fn(), options);
    EXPECT_TRUE(emb.take().empty());
    EXPECT_EQ(r.removed, 1u);

    test::set_mtime(root + "/sub/deeper/e.GiF", 2000000);  // touch: new mtime, same bytes
    r = update_index(*index, {root}, kDim, emb.fn(), options);
    EXPECT_TRUE(emb.take().empty());
    EXPECT_EQ(r.touched, 1u);
    r = update_index(*index, {root}, kDim, emb.fn(), options);
    EXPECT_EQ(r.unchanged, 4u);  // the new mtime was stored

    std::filesystem::copy_file(root + "/new/f.png", root + "/f_copy.png");  // copy: same content
    r = update_index(*index, {root}, kDim, emb.fn(), options);
    EXPECT_TRUE(emb.take().empty());
    EXPECT_EQ(r.copied, 1u);

    // Move onto a path that is itself indexed (b.jpg replaced by e's bytes; e's old path gone).
    std::filesystem::rename(root + "/sub/deeper/e.GiF", root + "/b.jpg");
    r = update_index(*index, {root}, kDim, emb.fn(), options);
    EXPECT_TRUE(emb.take().empty());
    EXPECT_EQ(r.moved, 1u);
    expect_consistent(*index, root);
    EXPECT_EQ(index->count(), 4);
}

TEST(ImageIndex, CorruptFilesAreSkippedAndReported) {
    TempDir dir;
    write_file(dir / "p/good1.png", "good one");
    write_file(dir / "p/bad.jpg", "corrupt bytes");
    write_file(dir / "p/good2.bmp", "good two");
    auto index = ImageIndex::open(dir / "i.db", true);
    index->bind_model(model_a());
    CountingEmbedder emb;
    IndexReport r = update_index(*index, {dir / "p"}, kDim, emb.fn(), {});
    ASSERT_EQ(r.failures.size(), 1u);
    EXPECT_EQ(r.failures[0].first, dir / "p/bad.jpg");
    EXPECT_NE(r.failures[0].second.find("corrupt"), std::string::npos);
    EXPECT_EQ(r.added, 2u);
    EXPECT_EQ(index->count(), 2);
    EXPECT_FALSE(index->embedding_of(dir / "p/bad.jpg"));
    // The next run tries it again (it may have been fixed) and still reports it.
    r = update_index(*index, {dir / "p"}, kDim, emb.fn(), {});
    EXPECT_EQ(emb.take().count(dir / "p/bad.jpg"), 1u);
    EXPECT_EQ(r.failures.size(), 1u);
    EXPECT_EQ(r.unchanged, 2u);
}

TEST(ImageIndex, RowsOutsideTheIndexedFoldersStay) {
    TempDir dir;
    write_file(dir / "one/a.png", "a");
    write_file(dir / "two/b.png", "b");
    write_file(dir / "one_more/c.png", "c");  // shares a name prefix with "one"
    auto index = ImageIndex::open(dir / "i.db", true);
    index->bind_model(model_a());
    CountingEmbedder emb;
    update_index(*index, {dir / "one", dir / "two", dir / "one_more"}, kDim, emb.fn(), {});
    EXPECT_EQ(index->count(), 3);
    std::filesystem::remove(dir / "two/b.png");
    std::filesystem::remove(dir / "one_more/c.png");
    const IndexReport r = update_index(*index, {dir / "one"}, kDim, emb.fn(), {});
    EXPECT_EQ(r.removed, 0u);
    EXPECT_EQ(index->count(), 3);
    update_index(*index, {dir / "two"}, kDim, emb.fn(), {});
    EXPECT_EQ(index->count(), 2);
}

TEST(ImageIndex, AFailureBetweenBatchesKeepsEveryCommittedBatch) {
    TempDir dir;
    for (int i = 0; i < 10; ++i) write_file(dir / ("p/img" + std::to_string(i) + ".png"), "image " + std::to_string(i));
    for (const char* hook : {"commit", "row"}) {
        SCOPED_TRACE(hook);
        std::filesystem::remove(dir / "i.db");
        auto index = ImageIndex::open(dir / "i.db", true);
        index->bind_model(model_a());
        CountingEmbedder emb;
        IndexOptions options;
        options.batch = 3;
        struct Stop {};
        if (std::string(hook) == "commit") {
            options.after_commit = [](size_t batches) {
                if (batches == 2) throw Stop{};
            };
        } else {
            options.after_row = [](size_t rows) {
                if (rows == 8) throw Stop{};  // inside the third batch's transaction
            };
        }
        EXPECT_THROW(update_index(*index, {dir / "p"}, kDim, emb.fn(), options), Stop);
        EXPECT_EQ(index->count(), 6);  // two whole batches; the open third one rolled back
        EXPECT_EQ(index->integrity_check(), "ok");
        const std::vector<FileRecord> kept = index->files();
        emb.take();
        const IndexReport r = update_index(*index, {dir / "p"}, kDim, emb.fn(), {});
        EXPECT_EQ(r.unchanged, 6u);
        EXPECT_EQ(r.added, 4u);
        EXPECT_EQ(emb.take().size(), 4u);
        for (const FileRecord& f : kept)
            EXPECT_EQ(emb.calls.end(), std::find(emb.calls.begin(), emb.calls.end(), f.path));
        expect_consistent(*index, dir / "p");
    }
}

TEST(ImageIndex, AnIndexOfAnotherModelIsRefused) {
    TempDir dir;
    {
        auto index = ImageIndex::open(dir / "i.db", true);
        index->bind_model(model_a());
        index->bind_model(model_a());  // the same model again is fine
    }
    auto index = ImageIndex::open(dir / "i.db", false);
    ASSERT_TRUE(index->model());
    EXPECT_EQ(index->model()->name, "/models/a");
    ModelRecord other = model_a();
    other.identity = "vit-32-8-bbbbbbbbbbbbbbbb";
    other.name = "/models/b";
    for (int pass = 0; pass < 2; ++pass) {
        try {
            if (pass == 0)
                index->bind_model(other);
            else
                index->require_model(other);
            ADD_FAILURE() << "another model was accepted";
        } catch (const Error& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find("was made by model '/models/a'"), std::string::npos) << m;
            EXPECT_NE(m.find("/models/b"), std::string::npos) << m;
        }
    }
    EXPECT_EQ(index->model()->identity, model_a().identity);
}

TEST(ImageIndex, BadIndexFilesGiveClearErrors) {
    TempDir dir;
    try {
        ImageIndex::open(dir / "missing.db", false);
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no index at"), std::string::npos) << e.what();
    }
    write_file(dir / "text.db", std::string(4096, 'x'));
    for (bool create : {false, true}) {
        try {
            ImageIndex::open(dir / "text.db", create);
            ADD_FAILURE();
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("text.db is not a cliprt index"), std::string::npos) << e.what();
        }
    }
}

TEST(FileScan, FindsImagesByExtensionInAnyCase) {
    EXPECT_TRUE(is_image_path("/a/b.PNG"));
    EXPECT_TRUE(is_image_path("x.JpEg"));
    EXPECT_TRUE(is_image_path("x.tga"));
    EXPECT_FALSE(is_image_path("x.webp"));
    EXPECT_FALSE(is_image_path("png"));
    TempDir dir;
    EXPECT_THROW(scan_images({dir / "nope"}), Error);
    write_file(dir / "one.png", "1");
    const ScanResult single = scan_images({dir / "one.png", dir.str()});  // overlapping roots: listed once
    ASSERT_EQ(single.files.size(), 1u);
    EXPECT_EQ(single.files[0].size, 1);
}

TEST(ContentHash, FileAndBytesAgreeAndDiffer) {
    TempDir dir;
    const std::string big(3 << 20, 'q');  // more than the 1 MiB read buffer
    write_file(dir / "big.bin", big);
    EXPECT_EQ(hash_file(dir / "big.bin"), hash_bytes(big.data(), big.size()));
    EXPECT_EQ(hash_bytes("a", 1).size(), 32u);
    EXPECT_NE(hash_bytes("a", 1), hash_bytes("b", 1));
    EXPECT_THROW(hash_file(dir / "missing"), Error);
}

}  // namespace
}  // namespace cliprt::search
