#include "server/search_server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <semaphore>
#include <stdexcept>
#include <thread>

#include "cliprt/embedded_file.h"
#include "cliprt/error.h"
#include "cliprt/image.h"
#include "models/clip_embedder.h"
#include "search/model_choice.h"
#include "search/query.h"
#include "search/vector_search.h"
#include "server/box_query.h"
#include "server/catalog.h"
#include "server/path_guard.h"
#include "server/request_guard.h"
#include "server/thumbnails.h"

namespace cliprt::server {

namespace {

#include "server_page.inc"

namespace fs = std::filesystem;
using nlohmann::json;

// Thrown by handlers for a client error; the exception handler turns it into status + JSON.
struct HttpError : std::runtime_error {
    HttpError(int status_code, const std::string& text) : std::runtime_error(text), status(status_code) {}
    int status;
};

void send_json(httplib::Response& res, const json& body, int status = 200) {
    res.status = status;
    // Paths are bytes and need not be UTF-8: shown with U+FFFD for what is not (ids stay exact).
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

size_t parse_k(const httplib::Request& req, size_t fallback, size_t max_k) {
    if (!req.has_param("k")) return fallback;
    const std::string text = req.get_param_value("k");
    size_t k = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
    if (ec != std::errc() || end != text.data() + text.size() || k < 1 || k > max_k) {
        throw HttpError{400, "k must be an integer from 1 to " + std::to_string(max_k)};
    }
    return k;
}

std::string required_id(const httplib::Request& req) {
    if (!req.has_param("id")) throw HttpError{400, "missing parameter id"};
    const std::string id = req.get_param_value("id");
    if (!is_image_id(id)) throw HttpError{400, "id must be 16 hex digits (an id from a search result)"};
    return id;
}

std::string iso_time(int64_t ns) {
    if (ns <= 0) return "";
    const std::time_t t = static_cast<std::time_t>(ns / 1000000000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string content_type_of(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".png") return "image/png";
    if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
    if (ext == ".gif") return "image/gif";
    if (ext == ".bmp") return "image/bmp";
    if (ext == ".webp") return "image/webp";
    return "application/octet-stream";
}

// Holds one of the decode slots for a scope.
class DecodeSlot {
public:
    explicit DecodeSlot(std::counting_semaphore<>& slots) : slots_(slots) { slots_.acquire(); }
    ~DecodeSlot() { slots_.release(); }
    DecodeSlot(const DecodeSlot&) = delete;
    DecodeSlot& operator=(const DecodeSlot&) = delete;

private:
    std::counting_semaphore<>& slots_;
};

}  // namespace

struct SearchServer::State {
    ServerOptions options;
    std::unique_ptr<Catalog> catalog;
    std::unique_ptr<PathGuard> guard;
    std::unique_ptr<ThumbnailCache> thumbs;
    search::ModelChoice choice;
    std::unique_ptr<ClipEmbedder> embedder;
    std::mutex embedder_mutex;  // one forward at a time: the embedder's session is not shared
    // Image decodes (uploads, new thumbnails) at once: each may cost up to kMaxDecodeBytes, and more
    // of them than cores gains nothing, however many connections are open.
    std::counting_semaphore<> decode_slots{
        static_cast<std::ptrdiff_t>(std::max(1u, std::thread::hardware_concurrency()))};
    std::unique_ptr<GuardedHttpServer> http;
    HostPolicy host_policy;

    json results(const Snapshot& snap, const std::vector<float>& query, size_t k, std::optional<size_t> exclude) {
        const size_t want = std::min(snap.paths.size(), exclude ? k + 1 : k);
        json out = json::array();
        if (want == 0) return out;
        for (const search::Hit& hit : search::top_k(snap.matrix, query.data(), want)) {
            if (exclude && hit.row == *exclude) continue;
            if (out.size() == k) break;
            const std::string& path = snap.paths[hit.row];
            out.push_back({{"rank", out.size() + 1},
                           {"score", hit.score},
                           {"id", snap.ids[hit.row]},
                           {"name", fs::path(path).filename().string()},
                           {"path", path}});
        }
        return out;
    }

    // The query vector of text terms plus optional image embeddings (already normalized), combined
    // exactly as `cliprt search` combines its terms.
    std::vector<float> embed_query(std::vector<search::QueryTerm> terms,
                                   const std::vector<std::vector<float>>& images) {
        std::vector<std::string> texts;
        for (const auto& t : terms) texts.push_back(t.value);
        std::vector<std::vector<float>> embeddings;
        if (!texts.empty()) {
            Tensor e;
            {
                std::lock_guard<std::mutex> lock(embedder_mutex);
                try {
                    e = embedder->embed_texts(texts, true);
                } catch (const Error& err) {
                    throw HttpError{400, err.what()};  // e.g. invalid UTF-8
                }
            }
            const int dim = embedder->dim();
            for (size_t i = 0; i < texts.size(); ++i)
                embeddings.emplace_back(e.f32() + i * dim, e.f32() + (i + 1) * dim);
        }
        for (const auto& image : images) {
            terms.push_back({search::QueryTerm::Kind::Image, 1.0f, "upload"});
            embeddings.push_back(image);
        }
        try {
            return search::combine_query(terms, embeddings);
        } catch (const Error& err) {
            throw HttpError{400, err.what()};  // the terms cancel out
        }
    }

    std::vector<search::QueryTerm> box_terms(const std::string& q, bool required) {
        if (!required && split_box_query(q).texts.empty() && split_box_query(q).negatives.empty()) return {};
        try {
            return parse_box_query(q);
        } catch (const Error& err) {
            throw HttpError{400, err.what()};
        }
    }

    json status() {
        const auto snap = catalog->current();
        json roots_json = guard->roots();
        return {{"db", catalog->db_path()},    {"model", snap->model ? snap->model->name : choice.model},
                {"dim", embedder->dim()},      {"backend", embedder->backend_name()},
                {"count", snap->paths.size()}, {"last_indexed", iso_time(snap->last_indexed_ns)},
                {"roots", roots_json}};
    }

    // The canonical path of the image with this id, or the HTTP error explaining why not.
    std::string allowed_file(const std::string& id) {
        const auto snap = catalog->current();
        const std::optional<size_t> row = snap->row(id);
        if (!row) throw HttpError{404, "no indexed image has id " + id};
        const std::optional<std::string> path = guard->allow(snap->paths[*row]);
        if (!path) throw HttpError{403, "the file of id " + id + " is missing or outside the served roots"};
        return *path;
    }

    void routes() {
        http->Get("/", [](const httplib::Request&, httplib::Response& res) {
            res.set_header("Content-Security-Policy",
                           "default-src 'none'; img-src 'self' blob:; style-src 'unsafe-inline'; "
                           "script-src 'unsafe-inline'; connect-src 'self'");
            res.set_content(server_page[0].contents, "text/html; charset=utf-8");
        });
        http->Get("/api/status", [this](const httplib::Request&, httplib::Response& res) { send_json(res, status()); });
        http->Get("/api/search", [this](const httplib::Request& req, httplib::Response& res) {
            if (!req.has_param("q")) throw HttpError{400, "missing parameter q"};
            const std::string q = req.get_param_value("q");
            const size_t k = parse_k(req, options.default_k, options.max_k);
            const auto snap = catalog->current();
            const std::vector<float> query = embed_query(box_terms(q, true), {});
            send_json(res, {{"query", q}, {"results", results(*snap, query, k, std::nullopt)}});
        });
        http->Post("/api/search/image", [this](const httplib::Request& req, httplib::Response& res) {
            const size_t k = parse_k(req, options.default_k, options.max_k);
            std::string bytes;
            if (req.is_multipart_form_data()) {
                if (!req.has_file("image")) throw HttpError{400, "multipart upload without a field named image"};
                bytes = req.get_file_value("image").content;
            } else {
                bytes = req.body;
            }
            if (bytes.empty()) throw HttpError{400, "empty upload: send the image as the body or as field image"};
            if (bytes.size() > options.max_upload_bytes) throw HttpError{413, "upload larger than the limit"};
            Tensor pixels;
            try {
                const DecodeSlot slot(decode_slots);
                const Image image =
                    decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "upload");
                pixels = stack_images({preprocess_image(image, embedder->preprocess())});
            } catch (const Error& err) {
                throw HttpError{400, err.what()};
            }
            std::vector<float> image_embedding;
            {
                std::lock_guard<std::mutex> lock(embedder_mutex);
                const Tensor e = embedder->embed_images(pixels, true);
                image_embedding.assign(e.f32(), e.f32() + embedder->dim());
            }
            const std::string q = req.has_param("q") ? req.get_param_value("q") : "";
            const auto snap = catalog->current();
            const std::vector<float> query = embed_query(box_terms(q, false), {image_embedding});
            send_json(res, {{"query", q.empty() ? "uploaded image" : "uploaded image + " + q},
                            {"results", results(*snap, query, k, std::nullopt)}});
        });
        http->Get("/api/similar", [this](const httplib::Request& req, httplib::Response& res) {
            const std::string id = required_id(req);
            const size_t k = parse_k(req, options.default_k, options.max_k);
            const auto snap = catalog->current();
            const std::optional<size_t> row = snap->row(id);
            if (!row) throw HttpError{404, "no indexed image has id " + id};
            const std::vector<float> query = snap->matrix.row(*row);
            send_json(res, {{"query", "like " + fs::path(snap->paths[*row]).filename().string()},
                            {"like", id},
                            {"results", results(*snap, query, k, *row)}});
        });
        http->Get("/api/thumb", [this](const httplib::Request& req, httplib::Response& res) {
            const std::string id = required_id(req);
            const std::string path = allowed_file(id);
            std::string jpeg;
            try {
                const DecodeSlot slot(decode_slots);
                jpeg = thumbs->get(id, path);
            } catch (const Error& err) {
                throw HttpError{422, err.what()};  // indexed once, undecodable now
            }
            res.set_header("Cache-Control", "max-age=3600");
            res.set_content(jpeg, "image/jpeg");
        });
        http->Get("/api/image", [this](const httplib::Request& req, httplib::Response& res) {
            const std::string path = allowed_file(required_id(req));
            std::ifstream in(path, std::ios::binary);
            std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            if (!in.good() && !in.eof()) throw HttpError{500, "cannot read the image file"};
            res.set_content(bytes, content_type_of(path).c_str());
        });

        // Requests from pages of other sites: through DNS rebinding they carry a foreign Host; sent
        // directly (<img>, fetch, a text/plain POST) they say so in Sec-Fetch-Site or Origin. The API
        // is for our own page only; the page itself may be opened from a link.
        http->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
            res.set_header("X-Content-Type-Options", "nosniff");
            const std::string host = req.get_header_value("Host");
            if (!host_header_allowed(host, host_policy)) {
                send_json(res, {{"error", "this server only answers requests addressed to localhost"}}, 403);
                return httplib::Server::HandlerResponse::Handled;
            }
            if (req.path != "/" &&
                is_cross_site_request(req.get_header_value("Sec-Fetch-Site"), req.get_header_value("Origin"), host)) {
                send_json(res, {{"error", "requests from other sites are refused"}}, 403);
                return httplib::Server::HandlerResponse::Handled;
            }
            // Several ranges would each be a copy of the file in one response (amplification).
            // httplib applies req.ranges to any body, this error's too, so they are dropped first
            // (the request object is httplib's own non-const local; only the handler sees it const).
            if (req.ranges.size() > 1) {
                const_cast<httplib::Request&>(req).ranges.clear();
                send_json(res, {{"error", "only one byte range per request"}}, 416);
                return httplib::Server::HandlerResponse::Handled;
            }
            return httplib::Server::HandlerResponse::Unhandled;
        });
        http->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
            try {
                std::rethrow_exception(ep);
            } catch (const HttpError& e) {
                send_json(res, {{"error", e.what()}}, e.status);
            } catch (const std::exception& e) {
                send_json(res, {{"error", std::string("internal error: ") + e.what()}}, 500);
            } catch (...) {
                send_json(res, {{"error", "internal error"}}, 500);
            }
        });
        // httplib's own errors (no route, payload too large, bad request line) get a JSON body too.
        http->set_error_handler(
            httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
                if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
                const std::string reason = res.status == 413   ? "request body larger than the upload limit"
                                           : res.status == 404 ? "not found"
                                           : res.status < 500  ? "bad request"
                                                               : "server error";
                send_json(res, {{"error", reason}}, res.status);
                return httplib::Server::HandlerResponse::Handled;
            }));
        http->set_payload_max_length(options.max_upload_bytes);
    }
};

SearchServer::SearchServer(const ServerOptions& options) : state_(std::make_unique<State>()) {
    State& s = *state_;
    s.options = options;
    s.http = std::make_unique<GuardedHttpServer>(options.limits);
    s.host_policy.allowed_names = options.allowed_hosts;
    s.catalog = std::make_unique<Catalog>(options.db);
    const auto snap = s.catalog->current();
    std::vector<std::string> roots = options.roots;
    if (roots.empty()) {
        const std::string common = common_directory(snap->paths);
        if (common.empty()) fail("the index ", options.db, " holds no images; run `cliprt index` first or pass --root");
        roots.push_back(common);
    }
    s.guard = std::make_unique<PathGuard>(roots);
    s.thumbs =
        std::make_unique<ThumbnailCache>(options.thumbs_dir.empty() ? options.db + ".thumbs" : options.thumbs_dir);
    s.choice = search::choose_model(options.model, options.weights, snap->model);
    s.embedder = search::open_embedder(s.choice, options.backend, 8);
    const std::unique_ptr<search::ImageIndex> index = search::ImageIndex::open_read_only(options.db);
    index->require_model(search::record_of(*s.embedder, s.choice));
    s.routes();
}

SearchServer::~SearchServer() { stop(); }

int SearchServer::bind(const std::string& host, int port) {
    state_->host_policy.loopback_only = is_loopback_bind_address(host);
    if (port == 0) {
        const int bound = state_->http->bind_to_any_port(host);
        if (bound < 0) fail("cannot listen on ", host);
        return bound;
    }
    if (!state_->http->bind_to_port(host, port)) fail("cannot listen on ", host, ":", port, " (in use?)");
    return port;
}

void SearchServer::run() { state_->http->listen_after_bind(); }

void SearchServer::stop() { state_->http->stop(); }

std::string SearchServer::answer(const std::string& client_bytes) { return state_->http->answer(client_bytes); }

std::string SearchServer::model_name() const { return state_->choice.model; }

const std::vector<std::string>& SearchServer::roots() const { return state_->guard->roots(); }

}  // namespace cliprt::server
