// The index / search / dupes commands end to end, as child processes, with the tiny open_clip
// checkpoint of tests/data (32x32 images, dim 24): a corrupt file is reported and skipped, an index
// SIGKILLed at several points stays consistent and the next run completes it without redoing
// committed rows, another model is refused, and example-image queries find their own image.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli_runner.h"
#include "search/image_index.h"
#include "search_test_support.h"

namespace cliprt::search {
namespace {

namespace fs = std::filesystem;

const std::string kSource = CLIPRT_SOURCE_DIR;
const std::string kModel = kSource + "/tests/data/checkpoints/open_clip_f16";
const std::string kOtherModel = kSource + "/tests/data/checkpoints/hf_clip_f16";

using test::CliRun;

// Runs the cliprt executable with args; `kill_spec` sets the crash hook CLIPRT_TEST_KILL_INDEX.
CliRun cliprt(const std::vector<std::string>& args, const std::string& scratch, const std::string& kill_spec = "") {
    if (kill_spec.empty()) return test::run_cliprt(args, scratch);
    return test::run_cliprt(args, scratch, {{"CLIPRT_TEST_KILL_INDEX", kill_spec}});
}

// Twelve different real images (several formats) and one truncated PNG that sorts last.
const std::vector<std::string> kImages = {
    "camera.png",     "camera_gray.jpg",   "chelsea.png", "coffee_300.png", "gnome_pixels_progressive.jpg",
    "gnome_wood.jpg", "gray_gradient.png", "horse.png",   "logo_200.png",   "no_time_for_that_tiny.gif",
    "rgba_alpha.png", "rocket.jpg"};

class SearchCli : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(CLIPRT_CLI_PATH)) GTEST_SKIP() << "build the cliprt_cli target first";
        photos_ = dir_ / "photos";
        for (size_t i = 0; i < kImages.size(); ++i) {
            const std::string sub = i % 2 ? "/odd/" : "/";
            fs::create_directories(photos_ + sub);
            fs::copy_file(kSource + "/tests/data/images/inputs/" + kImages[i], photos_ + sub + kImages[i]);
        }
        fs::copy_file(kSource + "/tests/data/images/bad/truncated.png", photos_ + "/zz_truncated.png");
        db_ = dir_ / "index.db";
    }
    CliRun index(const std::string& kill_spec = "", const std::string& batch = "3") {
        return cliprt({"index", photos_, "--db", db_, "--model", kModel, "--backend", "cpu", "--batch", batch},
                      dir_.str(), kill_spec);
    }
    std::map<std::string, std::vector<float>> rows() {
        auto idx = ImageIndex::open(db_, false);
        EXPECT_EQ(idx->integrity_check(), "ok");
        std::map<std::string, std::vector<float>> out;
        for (const FileRecord& f : idx->files()) out[f.path] = *idx->embedding_of(f.path);
        return out;
    }
    nlohmann::json search(const std::vector<std::string>& extra) {
        std::vector<std::string> args = {"search", "--db", db_, "--json", "--backend", "cpu"};
        args.insert(args.end(), extra.begin(), extra.end());
        const CliRun r = cliprt(args, dir_.str());
        EXPECT_EQ(r.code(), 0) << r.err;
        return nlohmann::json::parse(r.out);
    }
    test::TempDir dir_;
    std::string photos_, db_;
};

TEST_F(SearchCli, IndexesReportsTheCorruptFileAndSearches) {
    CliRun r = index();
    ASSERT_EQ(r.code(), 0) << r.err;
    EXPECT_NE(r.out.find("12 added"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 failed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("zz_truncated.png"), std::string::npos) << r.out;
    EXPECT_EQ(rows().size(), 12u);

    r = index();  // nothing changed: nothing embedded
    ASSERT_EQ(r.code(), 0) << r.err;
    EXPECT_NE(r.out.find("12 unchanged, 0 added"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("embedded"), std::string::npos) << r.out;

    // An example image finds itself first with cosine 1 (its stored embedding is the same forward).
    const std::string chelsea = photos_ + "/chelsea.png";
    nlohmann::json j = search({"--image", chelsea, "-k", "3"});
    ASSERT_EQ(j["results"].size(), 3u);
    EXPECT_EQ(j["results"][0]["path"], chelsea);
    EXPECT_NEAR(j["results"][0]["score"].get<double>(), 1.0, 1e-5);

    // Text, weighted and negative terms: k results, best first; the search uses the index's model.
    j = search({"2:a photo of a cat", "a horse", "--not", "a rocket", "--not", "0.5:text", "-k", "5"});
    ASSERT_EQ(j["results"].size(), 5u);
    ASSERT_EQ(j["query"].size(), 4u);
    EXPECT_EQ(j["query"][2]["weight"], -1.0);
    for (size_t i = 1; i < 5; ++i) EXPECT_GE(j["results"][i - 1]["score"], j["results"][i]["score"]);
    const nlohmann::json all = search({"a photo of a cat", "-k", "100"});
    EXPECT_EQ(all["results"].size(), 12u);

    // An exact copy is a duplicate group at cosine 1, found without a forward.
    fs::copy_file(chelsea, photos_ + "/odd/chelsea_copy.png");
    r = index();
    EXPECT_NE(r.out.find("1 copies"), std::string::npos) << r.out;
    r = cliprt({"dupes", "--db", db_, "--threshold", "0.9999", "--json"}, dir_.str());
    ASSERT_EQ(r.code(), 0) << r.err;
    const nlohmann::json groups = nlohmann::json::parse(r.out)["groups"];
    bool found = false;
    for (const auto& g : groups) {
        const auto& f = g["files"];
        if (std::find(f.begin(), f.end(), chelsea) != f.end()) {
            found = std::find(f.begin(), f.end(), photos_ + "/odd/chelsea_copy.png") != f.end();
        }
    }
    EXPECT_TRUE(found) << r.out;
}

// CMYK and YCCK JPEGs (print workflows) are indexed like any photo (issue 17), and the stored
// embedding is the one `embed` gives the file.
TEST_F(SearchCli, IndexesCmykAndYcckJpegs) {
    for (const char* name : {"cmyk_chelsea.jpg", "ycck_coffee.jpg"})
        fs::copy_file(kSource + "/tests/data/hf_semantics/inputs/" + name, photos_ + "/" + name);
    const CliRun r = index();
    ASSERT_EQ(r.code(), 0) << r.err;
    EXPECT_NE(r.out.find("14 added"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("cmyk_chelsea.jpg"), std::string::npos) << r.out;  // not among the failures
    const auto stored = rows();
    ASSERT_EQ(stored.count(photos_ + "/cmyk_chelsea.jpg"), 1u);
    ASSERT_EQ(stored.count(photos_ + "/ycck_coffee.jpg"), 1u);
    const nlohmann::json j = search({"--image", photos_ + "/ycck_coffee.jpg", "-k", "1"});
    ASSERT_EQ(j["results"].size(), 1u);
    EXPECT_EQ(j["results"][0]["path"], photos_ + "/ycck_coffee.jpg");
    EXPECT_NEAR(j["results"][0]["score"].get<double>(), 1.0, 1e-5);
}

// A file name that is not UTF-8 (issue 19, item 8): `search --json` shows it with U+FFFD instead of
// failing with json.exception.type_error.316; the text output keeps the bytes.
TEST_F(SearchCli, NonUtf8PathsAreShownLossilyInJson) {
    const std::string raw_name = "caf\xe9_\xff.png";
    fs::copy_file(photos_ + "/chelsea.png", photos_ + "/" + raw_name);
    ASSERT_EQ(index().code(), 0);
    const nlohmann::json j = search({"--image", photos_ + "/chelsea.png", "-k", "2"});
    ASSERT_EQ(j["results"].size(), 2u);
    std::set<std::string> paths;
    for (const auto& r : j["results"]) paths.insert(r["path"].get<std::string>());
    EXPECT_TRUE(paths.count(photos_ + "/caf\xef\xbf\xbd_\xef\xbf\xbd.png")) << j.dump();
    const CliRun text =
        cliprt({"search", "--db", db_, "--backend", "cpu", "--image", photos_ + "/chelsea.png", "-k", "2"}, dir_.str());
    ASSERT_EQ(text.code(), 0) << text.err;
    EXPECT_NE(text.out.find(photos_ + "/" + raw_name), std::string::npos) << text.out;
    const CliRun dupes = cliprt({"dupes", "--db", db_, "--threshold", "0.9999", "--json"}, dir_.str());
    ASSERT_EQ(dupes.code(), 0) << dupes.err;
    EXPECT_NE(dupes.out.find("caf\xef\xbf\xbd_"), std::string::npos) << dupes.out;
}

// An index the user cannot write (issue 19, item 9: read-only mount, another user's file) can be
// searched: search opens it read-only. As root, the search runs as nobody to be refused writes.
TEST_F(SearchCli, ReadOnlyIndexCanBeSearched) {
    const std::string ro = dir_ / "ro";
    fs::create_directories(ro);
    db_ = ro + "/index.db";
    ASSERT_EQ(index().code(), 0);
    for (const char* side : {"-wal", "-shm"}) ASSERT_FALSE(fs::exists(db_ + side)) << side;  // closed cleanly
    fs::permissions(dir_.str(), fs::perms(0755));
    fs::permissions(ro, fs::perms(0555));
    fs::permissions(db_, fs::perms(0444));
    const uid_t user = ::getuid() == 0 ? 65534 : 0;
    const std::string scratch = dir_ / "scratch";
    fs::create_directories(scratch);
    fs::permissions(scratch, fs::perms(0777));
    const CliRun found = test::run_cliprt(
        {"search", "--db", db_, "--json", "--backend", "cpu", "--image", photos_ + "/chelsea.png", "-k", "1"}, scratch,
        {}, user);
    ASSERT_EQ(found.code(), 0) << found.err;
    EXPECT_EQ(nlohmann::json::parse(found.out)["results"][0]["path"], photos_ + "/chelsea.png");
    const CliRun dupes = test::run_cliprt({"dupes", "--db", db_, "--json"}, scratch, {}, user);
    EXPECT_EQ(dupes.code(), 0) << dupes.err;
    EXPECT_FALSE(fs::exists(db_ + "-wal"));
    // Writing needs write access, and says so.
    const CliRun w =
        test::run_cliprt({"index", photos_, "--db", db_, "--model", kModel, "--backend", "cpu"}, scratch, {}, user);
    EXPECT_NE(w.code(), 0);
    EXPECT_EQ(w.err.find("is not a cliprt index"), std::string::npos) << w.err;
    fs::permissions(ro, fs::perms(0755));
}

TEST_F(SearchCli, AnotherModelIsRefused) {
    ASSERT_EQ(index().code(), 0);
    for (const char* command : {"search", "index"}) {
        std::vector<std::string> args = {command, "--db", db_, "--model", kOtherModel, "--backend", "cpu"};
        args.push_back(std::string(command) == "search" ? "a cat" : photos_);
        const CliRun r = cliprt(args, dir_.str());
        EXPECT_EQ(r.code(), 1) << command;
        EXPECT_NE(r.err.find("was made by model '" + kModel + "'"), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
    const CliRun r = cliprt({"search", "--db", dir_ / "none.db", "a cat"}, dir_.str());
    EXPECT_EQ(r.code(), 1);
    EXPECT_NE(r.err.find("no index at"), std::string::npos) << r.err;
    // A model that does not open leaves no new index file behind.
    const CliRun typo =
        cliprt({"index", photos_, "--db", dir_ / "typo.db", "--model", dir_ / "no_such_model"}, dir_.str());
    EXPECT_EQ(typo.code(), 1);
    EXPECT_FALSE(fs::exists(dir_ / "typo.db"));
}

TEST_F(SearchCli, KilledIndexingLosesNoCommittedRowAndResumes) {
    // Batches of 3 over 12 good images (sorted by path); the corrupt one sorts last.
    struct Point {
        const char* spec;
        size_t committed_rows;
    };
    for (const Point& p : {Point{"commit:1", 3}, Point{"commit:3", 9}, Point{"row:5", 3}, Point{"row:1", 0}}) {
        SCOPED_TRACE(p.spec);
        fs::remove(db_);
        fs::remove(db_ + "-wal");
        fs::remove(db_ + "-shm");
        const CliRun killed = index(p.spec);
        ASSERT_TRUE(killed.killed()) << killed.status << " " << killed.err;
        const auto before = rows();  // integrity_check inside
        EXPECT_EQ(before.size(), p.committed_rows);
        const CliRun resumed = index();
        ASSERT_EQ(resumed.code(), 0) << resumed.err;
        EXPECT_NE(resumed.out.find(std::to_string(p.committed_rows) + " unchanged, " +
                                   std::to_string(12 - p.committed_rows) + " added"),
                  std::string::npos)
            << resumed.out;
        const auto after = rows();
        EXPECT_EQ(after.size(), 12u);
        for (const auto& [path, e] : before) EXPECT_EQ(after.at(path), e) << path;
    }
    // A kill inside the metadata transaction (two moves) leaves the old rows; the rerun moves them.
    const auto full = rows();
    fs::rename(photos_ + "/camera.png", photos_ + "/camera_moved.png");
    fs::rename(photos_ + "/odd/horse.png", photos_ + "/horse_moved.png");
    ASSERT_TRUE(index("row:1").killed());
    EXPECT_EQ(rows(), full);
    const CliRun resumed = index();
    EXPECT_NE(resumed.out.find("2 moved"), std::string::npos) << resumed.out;
    const auto moved = rows();
    EXPECT_EQ(moved.at(photos_ + "/camera_moved.png"), full.at(photos_ + "/camera.png"));
    EXPECT_EQ(moved.size(), 12u);
}

}  // namespace
}  // namespace cliprt::search
