// The JSON API of `cliprt serve`, in-process on an ephemeral loopback port, over a small index made
// with the indexer and the tiny open_clip checkpoint of tests/data (dim 24): searches return what
// the search library computes for the same query; traversal attempts (.., encoded variants, absolute
// paths, symlinks and stored paths leading out of the roots), malformed requests, unknown ids and
// oversized uploads get 4xx with a JSON error; the server keeps answering afterwards.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cliprt/error.h"
#include "cliprt/image.h"
#include "models/clip_embedder.h"
#include "search/image_index.h"
#include "search/indexer.h"
#include "search/model_choice.h"
#include "search/query.h"
#include "search/vector_search.h"
#include "search_test_support.h"
#include "server/box_query.h"
#include "server/catalog.h"
#include "server/path_guard.h"
#include "server/request_guard.h"
#include "server/search_server.h"

namespace cliprt::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kSource = CLIPRT_SOURCE_DIR;
const std::string kModel = kSource + "/tests/data/checkpoints/open_clip_f16";
const std::vector<std::string> kSamples = {"green_triangle_0040.png", "green_circle_0023.png",
                                           "red_circle_0010.png",     "blue_square_0135.png",
                                           "yellow_cross_0032.png",   "black_hexagon_0004.png"};
constexpr size_t kUploadLimit = 256 * 1024;

std::string percent_encode(const std::string& text) {
    std::string out;
    for (const unsigned char c : text) {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        out += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string(hex);
    }
    return out;
}

// A raw TCP connection to the loopback server, for clients httplib::Client cannot imitate.
class RawConnection {
public:
    explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~RawConnection() { ::close(fd_); }
    bool connected() const { return connected_; }
    bool send(const std::string& bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    // True once the server has closed the connection (after any answer it sent); waits up to timeout_ms.
    bool closed_by_server(int timeout_ms) {
        pollfd p{fd_, POLLIN, 0};
        while (::poll(&p, 1, timeout_ms) > 0) {
            char buffer[4096];
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) return true;
            received_.append(buffer, static_cast<size_t>(n));
        }
        return false;
    }
    const std::string& received() const { return received_; }

private:
    int fd_;
    bool connected_ = false;
    std::string received_;
};

std::unique_ptr<ClipEmbedder> open_tiny_model() {
    EmbedderOptions o;
    o.model = kModel;
    o.backend = "cpu";
    return ClipEmbedder::open(o);
}

// One index and one server for the whole suite (the model load and the index build are the slow part).
class ServerApi : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new test::TempDir();
        photos_ = *dir_ / "photos";
        fs::create_directories(photos_);
        for (const std::string& name : kSamples) {
            ASSERT_TRUE(fs::exists(kSource + "/samples/" + name)) << name;
            fs::copy_file(kSource + "/samples/" + name, photos_ + "/" + name);
        }
        // A picture outside the served root, reachable only through a symlink inside it.
        fs::create_directories(*dir_ / "outside");
        fs::copy_file(kSource + "/samples/red_circle_0010.png", *dir_ / "outside/secret.png");
        fs::create_symlink("../outside/secret.png", photos_ + "/link_out.png");
        fs::create_symlink("green_circle_0023.png", photos_ + "/link_in.png");

        embedder_ = open_tiny_model().release();
        db_ = *dir_ / "index.db";
        auto index = search::ImageIndex::open(db_, true);
        search::ModelChoice choice{kModel, "", "test"};
        index->bind_model(search::record_of(*embedder_, choice));
        const search::EmbedBatchFn embed = [](const std::vector<std::string>& paths) {
            std::vector<search::EmbedOutcome> out(paths.size());
            const Tensor e = embedder_->embed_image_files(paths, true);
            const int dim = embedder_->dim();
            for (size_t i = 0; i < paths.size(); ++i)
                out[i].embedding.assign(e.f32() + i * dim, e.f32() + (i + 1) * dim);
            return out;
        };
        search::update_index(*index, {photos_}, embedder_->dim(), embed);
        // Rows whose stored path leads out of the root, as a tampered or foreign index might hold.
        const std::vector<float> some = *index->embedding_of(photos_ + "/" + kSamples[0]);
        search::IndexTransaction tx(*index);
        for (const std::string& p :
             {photos_ + "/link_out.png", photos_ + "/../outside/secret.png", *dir_ / "outside/secret.png"}) {
            if (!index->embedding_of(p)) index->put({p, 1, 1, "hash-" + p}, some);
        }
        tx.commit();
        index.reset();

        ServerOptions options;
        options.db = db_;
        options.roots = {photos_};
        options.model = kModel;
        options.backend = "cpu";
        options.max_upload_bytes = kUploadLimit;
        server_ = new SearchServer(options);
        port_ = server_->bind("127.0.0.1", 0);
        thread_ = new std::thread([] { server_->run(); });
    }
    static void TearDownTestSuite() {
        server_->stop();
        thread_->join();
        delete thread_;
        delete server_;
        delete embedder_;
        delete dir_;
    }

    static httplib::Client client() {
        httplib::Client c("127.0.0.1", port_);
        c.set_url_encode(false);  // send request targets exactly as written (traversal tests)
        c.set_connection_timeout(5);
        c.set_read_timeout(30);
        return c;
    }
    // GET whose answer must be an HTTP error with a JSON {"error": "..."} body; returns the status.
    static int get_error(const std::string& target) {
        auto res = client().Get(target);
        if (!res) return -1;
        const json body = json::parse(res->body, nullptr, false);
        EXPECT_TRUE(body.is_object() && body.contains("error") && body["error"].is_string())
            << target << ": " << res->body;
        EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << target;
        EXPECT_EQ(res->body.find("root:"), std::string::npos) << target;
        return res->status;
    }
    static json get_json(const std::string& target) {
        auto res = client().Get(target);
        EXPECT_TRUE(res) << target;
        if (!res) return {};
        EXPECT_EQ(res->status, 200) << target << ": " << res->body;
        return json::parse(res->body);
    }
    static std::string id_of(const std::string& name) { return image_id(photos_ + "/" + name); }

    // What the search library returns for a query vector: paths best first.
    static std::vector<std::pair<std::string, float>> library_top(const std::vector<float>& query, size_t k) {
        auto index = search::ImageIndex::open(db_, false);
        const search::StoredEmbeddings stored = index->load_embeddings();
        const auto matrix = search::EmbeddingMatrix::from_f32(stored.values, stored.dim, search::MatrixType::F32);
        std::vector<std::pair<std::string, float>> out;
        for (const auto& hit : search::top_k(matrix, query.data(), k))
            out.emplace_back(stored.paths[hit.row], hit.score);
        return out;
    }
    static std::vector<float> text_query(const std::vector<std::string>& texts,
                                         const std::vector<std::string>& negatives) {
        const auto terms = search::build_query(texts, {}, negatives);
        std::vector<std::string> values;
        for (const auto& t : terms) values.push_back(t.value);
        const Tensor e = embedder_->embed_texts(values, true);
        std::vector<std::vector<float>> rows;
        for (size_t i = 0; i < values.size(); ++i) rows.emplace_back(e.f32() + i * 24, e.f32() + (i + 1) * 24);
        return search::combine_query(terms, rows);
    }

    static inline test::TempDir* dir_ = nullptr;
    static inline std::string photos_, db_;
    static inline ClipEmbedder* embedder_ = nullptr;
    static inline SearchServer* server_ = nullptr;
    static inline std::thread* thread_ = nullptr;
    static inline int port_ = 0;
};

TEST_F(ServerApi, StatusReportsTheIndex) {
    ASSERT_EQ(embedder_->dim(), 24);
    const json s = get_json("/api/status");
    EXPECT_EQ(s["count"], kSamples.size() + 4);  // samples, two symlinks (scanned), two planted rows
    EXPECT_EQ(s["model"], fs::canonical(kModel).string());
    EXPECT_EQ(s["dim"], 24);
    EXPECT_EQ(s["roots"], json::array({fs::canonical(photos_).string()}));
    EXPECT_EQ(s["last_indexed"].get<std::string>().size(), 20u);  // 2026-01-01T00:00:00Z
}

TEST_F(ServerApi, PageIsSelfContained) {
    auto res = client().Get("/");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_NE(res->body.find("id=\"results\""), std::string::npos);
    // No external assets: nothing is loaded from another origin.
    EXPECT_EQ(res->body.find("http://"), std::string::npos);
    EXPECT_EQ(res->body.find("https://"), std::string::npos);
    EXPECT_NE(res->get_header_value("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
}

TEST_F(ServerApi, TextSearchIsTheLibrarysSearch) {
    // The box "a green triangle -2:red" is `cliprt search "a green triangle" --not 2:red`.
    for (const auto& [box, texts, negatives] :
         std::vector<std::tuple<std::string, std::vector<std::string>, std::vector<std::string>>>{
             {"a green triangle", {"a green triangle"}, {}},
             {"a green triangle -2:red", {"a green triangle"}, {"2:red"}}}) {
        const json r = get_json("/api/search?k=5&q=" + percent_encode(box));
        const auto expected = library_top(text_query(texts, negatives), 5);
        ASSERT_EQ(r["results"].size(), expected.size()) << box;
        for (size_t i = 0; i < expected.size(); ++i) {
            EXPECT_EQ(r["results"][i]["path"], expected[i].first) << box << " rank " << i + 1;
            EXPECT_NEAR(r["results"][i]["score"].get<float>(), expected[i].second, 1e-6) << box;
            EXPECT_EQ(r["results"][i]["rank"], i + 1);
            EXPECT_EQ(r["results"][i]["id"], image_id(expected[i].first));
        }
    }
}

TEST_F(ServerApi, SimilarUsesTheStoredEmbeddingAndLeavesItselfOut) {
    const std::string name = kSamples[1];
    const json r = get_json("/api/similar?k=4&id=" + id_of(name));
    auto index = search::ImageIndex::open(db_, false);
    const auto expected = library_top(*index->embedding_of(photos_ + "/" + name), 5);
    ASSERT_EQ(expected[0].first, photos_ + "/" + name);  // itself first, score 1 ...
    std::vector<std::pair<std::string, float>> others;
    for (const auto& e : expected) {
        if (e.first != photos_ + "/" + name) others.push_back(e);
    }
    ASSERT_EQ(r["results"].size(), 4u);  // ... and left out of "more like this"
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(r["results"][i]["path"], others[i].first);
        EXPECT_NEAR(r["results"][i]["score"].get<float>(), others[i].second, 1e-6);
    }
}

TEST_F(ServerApi, UploadedImageFindsItself) {
    const std::string name = "blue_square_0135.png";
    const std::string bytes = test::read_file(photos_ + "/" + name);
    auto raw = client().Post("/api/search/image?k=3", bytes, "image/png");
    ASSERT_TRUE(raw);
    ASSERT_EQ(raw->status, 200) << raw->body;
    const json a = json::parse(raw->body);
    EXPECT_EQ(a["results"][0]["name"], name);
    EXPECT_GT(a["results"][0]["score"].get<float>(), 0.9999f);

    httplib::MultipartFormDataItems form = {{"image", bytes, name, "image/png"}};
    auto multi = client().Post("/api/search/image?k=3", form);
    ASSERT_TRUE(multi);
    ASSERT_EQ(multi->status, 200) << multi->body;
    EXPECT_EQ(json::parse(multi->body)["results"], a["results"]);
}

TEST_F(ServerApi, OversizedUploadIs413) {
    const std::string big(kUploadLimit + 1, '\x89');
    for (const bool multipart : {false, true}) {
        auto res = multipart ? client().Post("/api/search/image",
                                             httplib::MultipartFormDataItems{{"image", big, "a.png", "image/png"}})
                             : client().Post("/api/search/image", big, "image/png");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 413) << multipart;
        EXPECT_TRUE(json::parse(res->body, nullptr, false).contains("error")) << res->body;
    }
}

// A 35-byte GIF whose 13000x13000 canvas (under the pixel limit) cost 1.4 GB to decode (item 3).
TEST_F(ServerApi, UploadOverTheDecodeBudgetIsRefusedBeforeDecoding) {
    std::string gif = "GIF89a";
    gif += std::string("\xC8\x32\xC8\x32\x80\x00\x00", 7);               // 13000x13000, global table of 2
    gif += std::string("\x00\x00\x00\xFF\xFF\xFF", 6);                   // black, white
    gif += std::string("\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x00", 10);  // a 1x1 frame
    gif += std::string("\x02\x02\x44\x01\x00\x3B", 6);                   // its LZW data, trailer
    ASSERT_EQ(gif.size(), 35u);
    auto res = client().Post("/api/search/image", gif, "image/gif");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400);
    EXPECT_NE(res->body.find("MiB, more than the limit"), std::string::npos) << res->body;
}

TEST_F(ServerApi, MalformedRequestsAre4xx) {
    EXPECT_EQ(get_error("/api/search"), 400);                   // no q
    EXPECT_EQ(get_error("/api/search?q="), 400);                // empty
    EXPECT_EQ(get_error("/api/search?q=+-+"), 400);             // only operators
    EXPECT_EQ(get_error("/api/search?q=beach%20-beach"), 400);  // terms cancel out
    EXPECT_EQ(get_error("/api/search?q=%ff%fe"), 400);          // invalid UTF-8
    EXPECT_EQ(get_error("/api/search?q=2:"), 400);              // weight without text
    for (const std::string k : {"0", "-1", "abc", "1e3", "100000000000000000000", "5x", ""}) {
        EXPECT_EQ(get_error("/api/search?q=cat&k=" + k), 400) << k;
    }
    EXPECT_EQ(get_error("/api/similar"), 400);
    EXPECT_EQ(get_error("/api/similar?id=xyz"), 400);
    EXPECT_EQ(get_error("/api/similar?id=0123456789ABCDEF"), 400);  // ids are lowercase
    EXPECT_EQ(get_error("/api/thumb?id="), 400);
    EXPECT_EQ(get_error("/api/nothing"), 404);

    for (const std::string& body : {std::string(), std::string("not an image"), std::string("\x89PNG\r\n\x1a\n", 8)}) {
        auto res = client().Post("/api/search/image", body, "application/octet-stream");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 400) << body;
        EXPECT_TRUE(json::parse(res->body, nullptr, false).contains("error")) << res->body;
    }
    auto wrong_field =
        client().Post("/api/search/image", httplib::MultipartFormDataItems{{"file", "x", "a.png", "image/png"}});
    ASSERT_TRUE(wrong_field);
    EXPECT_EQ(wrong_field->status, 400);

    EXPECT_EQ(get_json("/api/status")["dim"], 24);  // still serving
}

TEST_F(ServerApi, UnknownIdsAre404) {
    const std::string unknown = "0123456789abcdef";
    ASSERT_FALSE(fs::exists(photos_ + "/" + unknown));
    EXPECT_EQ(get_error("/api/similar?id=" + unknown), 404);
    EXPECT_EQ(get_error("/api/thumb?id=" + unknown), 404);
    EXPECT_EQ(get_error("/api/image?id=" + unknown), 404);
}

TEST_F(ServerApi, TraversalIsRefused) {
    for (const char* target :
         {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
          "/api/../../etc/passwd", "/api/image?id=../../../../etc/passwd", "/api/image?id=..%2f..%2f..%2fetc%2fpasswd",
          "/api/image?id=%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/api/image?id=/etc/passwd", "/api/image?id=%2fetc%2fpasswd",
          "/api/image?path=/etc/passwd", "/api/thumb?id=....//....//etc/passwd", "//etc/passwd", "/etc/passwd"}) {
        const int status = get_error(target);
        EXPECT_GE(status, 400) << target;
        EXPECT_LT(status, 500) << target;
    }
    // Indexed rows that lead out of the root: a symlink to a file outside, a stored "..", an
    // absolute path elsewhere. Known ids, still refused, for the original and the thumbnail.
    for (const std::string& path :
         {photos_ + "/link_out.png", photos_ + "/../outside/secret.png", *dir_ / "outside/secret.png"}) {
        EXPECT_EQ(get_error("/api/image?id=" + image_id(path)), 403) << path;
        EXPECT_EQ(get_error("/api/thumb?id=" + image_id(path)), 403) << path;
    }
    // A symlink that stays inside the root is an ordinary file of the collection.
    auto res = client().Get("/api/image?id=" + id_of("link_in.png"));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, test::read_file(photos_ + "/green_circle_0023.png"));
    EXPECT_EQ(res->get_header_value("Content-Type"), "image/png");
}

TEST_F(ServerApi, ForeignHostHeaderIsRefused) {
    // A page on another site reaching the loopback server through DNS rebinding.
    auto res = client().Get("/api/status", {{"Host", "attacker.example:80"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403);
}

// DNS rebinding with names that merely start like a loopback address (issue 19, item 1).
TEST_F(ServerApi, OnlyExactLoopbackHostsAreAnswered) {
    const std::string port = std::to_string(port_);
    for (const std::string& host : std::vector<std::string>{
             "127.evil.com:18080", "127.0.0.1.nip.io", "127.0.0.1.nip.io:" + port, "localhost.evil.com", "evil.com",
             "127.0.0.1:80:80", "127.0.0.1:x", "[::1].evil.com", "[::2]:80", "10.0.0.1", "", "0x7f.0.0.1", "127.1"}) {
        auto res = client().Get("/api/status", {{"Host", host}});
        ASSERT_TRUE(res) << host;
        EXPECT_EQ(res->status, 403) << host;
    }
    for (const std::string& host : std::vector<std::string>{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST",
                                                            "127.5.6.7", "[::1]:" + port, "[::1]"}) {
        auto res = client().Get("/api/status", {{"Host", host}});
        ASSERT_TRUE(res) << host;
        EXPECT_EQ(res->status, 200) << host;
    }
}

// Any page the user opens can send requests to 127.0.0.1 (issue 19, item 3): a cross-origin
// text/plain POST needs no CORS preflight, and <img> or no-cors GETs carry Sec-Fetch-Site.
TEST_F(ServerApi, CrossSiteRequestsAreRefused) {
    const std::string bytes = test::read_file(photos_ + "/blue_square_0135.png");
    auto post = client().Post("/api/search/image?k=3", {{"Origin", "http://evil.example"}}, bytes, "text/plain");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 403) << post->body;
    auto null_origin = client().Post("/api/search/image?k=3", {{"Origin", "null"}}, bytes, "text/plain");
    ASSERT_TRUE(null_origin);
    EXPECT_EQ(null_origin->status, 403);
    for (const char* site : {"cross-site", "same-site"}) {
        for (const std::string& target :
             std::vector<std::string>{"/api/search?q=cat", "/api/status", "/api/thumb?id=" + id_of(kSamples[0]),
                                      "/api/image?id=" + id_of(kSamples[0])}) {
            auto res = client().Get(target, {{"Sec-Fetch-Site", site}});
            ASSERT_TRUE(res);
            EXPECT_EQ(res->status, 403) << site << " " << target;
        }
    }
    // Our own page's requests, and the page opened from a link elsewhere, are answered.
    const std::string self = "http://127.0.0.1:" + std::to_string(port_);
    auto own = client().Post("/api/search/image?k=3", {{"Origin", self}, {"Sec-Fetch-Site", "same-origin"}}, bytes,
                             "image/png");
    ASSERT_TRUE(own);
    EXPECT_EQ(own->status, 200) << own->body;
    auto own_origin_only = client().Post("/api/search/image?k=3", {{"Origin", self}}, bytes, "image/png");
    ASSERT_TRUE(own_origin_only);
    EXPECT_EQ(own_origin_only->status, 200);
    auto page = client().Get("/", {{"Sec-Fetch-Site", "cross-site"}});
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
}

// Range amplification (issue 19, item 2): one range is served, several are refused.
TEST_F(ServerApi, OnlyOneByteRangeIsServed) {
    const std::string target = "/api/image?id=" + id_of("yellow_cross_0032.png");
    const std::string file = test::read_file(photos_ + "/yellow_cross_0032.png");
    auto one = client().Get(target, {{"Range", "bytes=0-9"}});
    ASSERT_TRUE(one);
    EXPECT_EQ(one->status, 206);
    EXPECT_EQ(one->body, file.substr(0, 10));
    std::string many = "bytes=0-";
    for (int i = 0; i < 2500; ++i) many += ",0-";
    auto res = client().Get(target, {{"Range", many}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 416);
    EXPECT_LT(res->body.size(), 200u);
    auto two = client().Get(target, {{"Range", "bytes=0-1,2-3"}});
    ASSERT_TRUE(two);
    EXPECT_EQ(two->status, 416);
}

// Slowloris (issue 19, item 4): more clients trickling header bytes than the old 8 worker threads;
// an ordinary request is still answered.
TEST_F(ServerApi, SlowHeaderClientsDoNotStarveOthers) {
    std::vector<std::unique_ptr<RawConnection>> slow;
    for (int i = 0; i < 12; ++i) {
        slow.push_back(std::make_unique<RawConnection>(port_));
        ASSERT_TRUE(slow.back()->connected());
        ASSERT_TRUE(slow.back()->send("GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
    }
    std::atomic<bool> done{false};
    std::thread drip([&] {  // one byte per connection every 200 ms, well within the per-read timeout
        while (!done) {
            for (auto& c : slow) c->send("a");
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    });
    httplib::Client c = client();
    c.set_read_timeout(20);
    auto res = c.Get("/api/status");
    done = true;
    drip.join();
    ASSERT_TRUE(res) << "no answer while slow clients hold connections";
    EXPECT_EQ(res->status, 200);
}

// A file name that is not UTF-8 (issue 19, item 8) made every result page that held it a 500: the
// name is shown with U+FFFD and the id (a hash of the bytes) still fetches the file.
TEST_F(ServerApi, NonUtf8PathsAreShownLossily) {
    test::TempDir dir;
    const std::string photos = dir / "photos", raw = photos + "/caf\xe9.png";
    fs::create_directories(photos);
    fs::copy_file(kSource + "/samples/" + kSamples[0], raw);
    fs::copy_file(kSource + "/samples/" + kSamples[1], photos + "/plain.png");
    const std::string db = dir / "index.db";
    {
        auto index = search::ImageIndex::open(db, true);
        index->bind_model(search::record_of(*embedder_, search::ModelChoice{kModel, "", "test"}));
        search::update_index(*index, {photos}, embedder_->dim(), [](const std::vector<std::string>& paths) {
            std::vector<search::EmbedOutcome> out(paths.size());
            const Tensor e = embedder_->embed_image_files(paths, true);
            for (size_t i = 0; i < paths.size(); ++i) out[i].embedding.assign(e.f32() + i * 24, e.f32() + (i + 1) * 24);
            return out;
        });
    }
    ServerOptions options;
    options.db = db;
    options.model = kModel;
    options.backend = "cpu";
    SearchServer server(options);
    const int port = server.bind("127.0.0.1", 0);
    std::thread runner([&] { server.run(); });
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30);
    auto res = c.Get("/api/search?q=a%20green%20triangle&k=2");
    auto image = c.Get("/api/image?id=" + image_id(raw));
    server.stop();
    runner.join();
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    std::set<std::string> names;
    const json body = json::parse(res->body);
    for (const auto& r : body["results"]) names.insert(r["name"].get<std::string>());
    EXPECT_TRUE(names.count("caf\xef\xbf\xbd.png")) << res->body;
    ASSERT_TRUE(image);
    EXPECT_EQ(image->status, 200);
    EXPECT_EQ(image->body, test::read_file(raw));
}

TEST_F(ServerApi, ThumbnailsAreMadeOnceAndCached) {
    const std::string id = id_of("green_triangle_0040.png");
    auto first = client().Get("/api/thumb?id=" + id);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, 200) << first->body;
    EXPECT_EQ(first->get_header_value("Content-Type"), "image/jpeg");
    const Image thumb = decode_image(reinterpret_cast<const uint8_t*>(first->body.data()), first->body.size(), "thumb");
    EXPECT_EQ(thumb.width, 256);
    EXPECT_EQ(thumb.height, 256);
    const std::string cached = db_ + ".thumbs/" + id + "-256.jpg";
    ASSERT_TRUE(fs::exists(cached));
    EXPECT_EQ(test::read_file(cached), first->body);
    const auto made = fs::last_write_time(cached);
    auto second = client().Get("/api/thumb?id=" + id);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->body, first->body);
    EXPECT_EQ(fs::last_write_time(cached), made);  // served from the cache, not made again
}

TEST_F(ServerApi, OriginalImageIsTheFile) {
    auto res = client().Get("/api/image?id=" + id_of("yellow_cross_0032.png"));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, test::read_file(photos_ + "/yellow_cross_0032.png"));
}

// The header deadline: a client that sends its headers a byte at a time is cut off once the deadline
// passes, however regularly it sends; so is one that sends no body after announcing one.
// A GuardedHttpServer answering "ok" on / , running on its own thread.
class OkServer {
public:
    explicit OkServer(const ConnectionLimits& limits) : http_(limits) {
        http_.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
        http_.Post("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
        port_ = http_.bind_to_any_port("127.0.0.1");
        runner_ = std::thread([this] { http_.listen_after_bind(); });
    }
    ~OkServer() {
        http_.stop();
        runner_.join();
    }
    int port() const { return port_; }
    bool answers() const {
        httplib::Client c("127.0.0.1", port_);
        c.set_read_timeout(20);
        auto res = c.Get("/");
        return res && res->body == "ok";
    }

private:
    GuardedHttpServer http_;
    int port_ = 0;
    std::thread runner_;
};

// The header deadline: a client that sends its headers a byte at a time is cut off once the deadline
// passes, however regularly it sends; so is one that sends no body after announcing one.
TEST(GuardedServer, SlowRequestsAreCutOffAtTheDeadline) {
    ConnectionLimits limits;
    limits.header_timeout = std::chrono::milliseconds(500);
    limits.body_timeout = std::chrono::milliseconds(500);
    OkServer server(limits);
    ASSERT_GT(server.port(), 0);

    RawConnection headers(server.port());
    ASSERT_TRUE(headers.connected());
    headers.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    bool cut = false;
    for (int i = 0; i < 300 && !cut; ++i) {  // up to 60 s of one byte per 200 ms
        headers.send("a");
        cut = headers.closed_by_server(200);
    }
    EXPECT_TRUE(cut) << "a client trickling header bytes kept its connection";

    RawConnection body(server.port());
    ASSERT_TRUE(body.connected());
    body.send("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nabc");
    EXPECT_TRUE(body.closed_by_server(60000)) << "a client that never sends its body kept its connection";
    EXPECT_TRUE(server.answers());
}

// Connections beyond workers + waiting are answered 503 at once instead of queueing without bound.
TEST(GuardedServer, ConnectionsBeyondTheLimitAreRefused) {
    ConnectionLimits limits;
    limits.worker_threads = 2;
    limits.max_waiting = 1;
    OkServer server(limits);
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < 3; ++i) {  // two with the workers, one waiting
        held.push_back(std::make_unique<RawConnection>(server.port()));
        held.back()->send("GET / HTTP/1.1\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    RawConnection extra(server.port());
    ASSERT_TRUE(extra.connected());
    EXPECT_TRUE(extra.closed_by_server(60000));
    EXPECT_NE(extra.received().find("503"), std::string::npos) << extra.received();
    held.clear();  // closing them frees the workers (a request racing that may still get a 503)
    bool answered = false;
    for (int i = 0; i < 100 && !answered; ++i) {
        answered = server.answers();
        if (!answered) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(answered);
}

TEST(RequestGuard, LoopbackBindAddresses) {
    for (const char* a : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) EXPECT_TRUE(is_loopback_bind_address(a)) << a;
    for (const char* a : {"0.0.0.0", "::", "192.168.1.2", "127.evil.com", ""})
        EXPECT_FALSE(is_loopback_bind_address(a)) << a;
}

// On a non-loopback bind, IP literals (which DNS cannot rebind) and --allow-host names are answered.
TEST(RequestGuard, HostPolicyOfANonLoopbackBind) {
    HostPolicy policy;
    policy.loopback_only = false;
    policy.allowed_names = {"photos.lan"};
    for (const char* h :
         {"192.168.1.5:8080", "[fe80::1]:8080", "photos.lan", "Photos.LAN:8080", "localhost:1", "127.0.0.1"})
        EXPECT_TRUE(host_header_allowed(h, policy)) << h;
    for (const char* h : {"evil.com", "photos.lan.evil.com", "127.evil.com", "[fe80::1", "photos.lan:99999x"})
        EXPECT_FALSE(host_header_allowed(h, policy)) << h;
    EXPECT_FALSE(host_header_allowed("192.168.1.5:8080", HostPolicy{}));  // loopback bind: literal must be 127/8
}

TEST(RequestGuard, CrossSite) {
    EXPECT_FALSE(is_cross_site_request("", "", "127.0.0.1:8080"));  // curl
    EXPECT_FALSE(is_cross_site_request("same-origin", "", "127.0.0.1:8080"));
    EXPECT_FALSE(is_cross_site_request("none", "", "127.0.0.1:8080"));  // typed URL
    EXPECT_FALSE(is_cross_site_request("", "http://127.0.0.1:8080", "127.0.0.1:8080"));
    EXPECT_TRUE(is_cross_site_request("cross-site", "", "127.0.0.1:8080"));
    EXPECT_TRUE(is_cross_site_request("same-site", "", "127.0.0.1:8080"));  // another port
    EXPECT_TRUE(is_cross_site_request("", "http://evil.example", "127.0.0.1:8080"));
    EXPECT_TRUE(is_cross_site_request("", "null", "127.0.0.1:8080"));
    EXPECT_TRUE(is_cross_site_request("", "http://127.0.0.1:9999", "127.0.0.1:8080"));
}

TEST(PathGuard, AllowsOnlyCanonicalFilesInsideTheRoots) {
    test::TempDir dir;
    test::write_file(dir / "photos/a.png", "x");
    test::write_file(dir / "photos2/b.png", "x");  // a sibling whose name extends the root's
    test::write_file(dir / "secret.txt", "x");
    fs::create_directories(dir / "photos/sub");
    fs::create_symlink(dir / "secret.txt", dir / "photos/sub/out.png");
    fs::create_symlink(dir / "photos2", dir / "photos/dirlink");
    const PathGuard guard({dir / "photos"});
    const std::string root = fs::canonical(dir / "photos").string();
    EXPECT_EQ(guard.allow(dir / "photos/a.png"), root + "/a.png");
    EXPECT_EQ(guard.allow(dir / "photos/sub/../a.png"), root + "/a.png");
    EXPECT_FALSE(guard.allow(dir / "photos/../secret.txt"));
    EXPECT_FALSE(guard.allow(dir / "photos2/b.png"));
    EXPECT_FALSE(guard.allow(dir / "photos/sub/out.png"));
    EXPECT_FALSE(guard.allow(dir / "photos/dirlink/b.png"));
    EXPECT_FALSE(guard.allow(dir / "photos/sub"));  // a directory
    EXPECT_FALSE(guard.allow(dir / "photos/missing.png"));
    EXPECT_FALSE(guard.allow("photos/a.png"));  // relative
    EXPECT_FALSE(guard.allow(""));
    EXPECT_FALSE(guard.allow(dir / "photos/%2e%2e/secret.txt"));  // no decoding happens here
    EXPECT_THROW(PathGuard({dir / "nope"}), Error);
}

TEST(PathGuard, CommonDirectory) {
    EXPECT_EQ(common_directory({"/a/b/c.png", "/a/b/d/e.png"}), "/a/b");
    EXPECT_EQ(common_directory({"/a/bc/x.png", "/a/b/y.png"}), "/a");
    EXPECT_EQ(common_directory({"/a/x.png", "/b/y.png"}), "/");
    EXPECT_EQ(common_directory({"/a/x.png"}), "/a");
    EXPECT_EQ(common_directory({}), "");
}

TEST(BoxQuery, SplitsLikeTheCommandLine) {
    const BoxQuery q = split_box_query("a beach +2:sunset -people -0.5:red t-shirt");
    EXPECT_EQ(q.texts, (std::vector<std::string>{"a beach", "2:sunset"}));
    EXPECT_EQ(q.negatives, (std::vector<std::string>{"people", "0.5:red t-shirt"}));
    const auto terms = parse_box_query("-2:red +cat");
    ASSERT_EQ(terms.size(), 2u);
    EXPECT_EQ(terms[0].value, "cat");
    EXPECT_EQ(terms[0].weight, 1.0f);
    EXPECT_EQ(terms[1].value, "red");
    EXPECT_EQ(terms[1].weight, -2.0f);
    EXPECT_TRUE(split_box_query(" + - ").texts.empty());
    EXPECT_THROW(parse_box_query(" + - "), Error);
}

TEST(ImageId, IsStableHexAndValidated) {
    EXPECT_EQ(image_id("/photos/a.png"), image_id("/photos/a.png"));
    EXPECT_NE(image_id("/photos/a.png"), image_id("/photos/b.png"));
    EXPECT_TRUE(is_image_id(image_id("/x")));
    EXPECT_EQ(image_id(""), "cbf29ce484222325");  // FNV-1a 64 offset basis: the empty input
    EXPECT_FALSE(is_image_id("cbf29ce48422232"));
    EXPECT_FALSE(is_image_id("cbf29ce48422232g"));
    EXPECT_FALSE(is_image_id("../../etc/passwd"));
}

}  // namespace
}  // namespace cliprt::server
