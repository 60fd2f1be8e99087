// `cliprt serve`: the HTTP server behind the web page. One page (embedded in the binary, no external
// assets) and a JSON API with the CLI's search semantics:
//   GET  /api/status                      model, image count, last indexed, roots
//   GET  /api/search?q=TEXT&k=N           the search box's query (see box_query.h)
//   POST /api/search/image?k=N[&q=TEXT]   an uploaded image (raw body or multipart field "image")
//   GET  /api/similar?id=ID&k=N           more like this: the stored embedding of an indexed image
//   GET  /api/thumb?id=ID                 cached JPEG thumbnail
//   GET  /api/image?id=ID                 the original file
// Images are named by opaque ids (catalog.h), never by path; a file is only sent if it lies inside
// the roots (path_guard.h). Every error is a 4xx/5xx with a JSON body {"error": "..."}.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "server/guarded_http_server.h"

namespace cliprt::server {

struct ServerOptions {
    std::string db;
    std::vector<std::string> roots;  // empty: the deepest directory holding every indexed file
    std::string model;               // empty: $CLIPRT_MODEL, else the index's model (as `cliprt search`)
    std::string weights;
    std::string backend = "auto";
    std::string thumbs_dir;  // empty: <db>.thumbs
    size_t max_upload_bytes = 20u << 20;
    size_t default_k = 24;
    size_t max_k = 1000;
    // Host names accepted besides localhost and IP literals (for a bind to a non-loopback address,
    // the names this machine is reached by).
    std::vector<std::string> allowed_hosts;
    ConnectionLimits limits;
};

class SearchServer {
public:
    // Opens the index and its model (throws Error with the reason).
    explicit SearchServer(const ServerOptions& options);
    ~SearchServer();
    SearchServer(const SearchServer&) = delete;
    SearchServer& operator=(const SearchServer&) = delete;

    // Binds to host:port (port 0: any free port) and returns the port; throws Error if it cannot.
    // A host other than a loopback address accepts Host headers that are IP literals or
    // allowed_hosts, and reaches every machine that can route to it.
    int bind(const std::string& host, int port);
    // Serves until stop() (from another thread or a signal handler's thread).
    void run();
    void stop();

    // What a client sending these bytes on one connection receives, without binding a socket
    // (the HTTP fuzz harness).
    std::string answer(const std::string& client_bytes);

    std::string model_name() const;
    const std::vector<std::string>& roots() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace cliprt::server
