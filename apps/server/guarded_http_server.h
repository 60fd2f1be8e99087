// cpp-httplib's Server with the limits a local server needs against slow or too many clients
// (Debian's httplib 0.11 has only a per-read timeout, so a client sending one header byte every few
// seconds holds a worker thread forever, and 8 of them starved the default pool of 8):
// - the request line and headers must arrive within header_timeout of the request's first byte,
//   the body within body_timeout after the headers; a client that is slower is cut off;
// - an idle keep-alive connection is closed after keep_alive_timeout;
// - worker_threads connections are served at once, max_waiting more wait for a worker; any further
//   connection is answered 503 at once and closed (so waiting is bounded, not memory).
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>

namespace cliprt::server {

struct ConnectionLimits {
    size_t worker_threads = 64;
    size_t max_waiting = 128;
    std::chrono::milliseconds header_timeout{10000};
    std::chrono::milliseconds body_timeout{60000};
    std::chrono::milliseconds keep_alive_timeout{5000};
    size_t keep_alive_max_requests = 1000;
};

class GuardedHttpServer : public httplib::Server {
public:
    explicit GuardedHttpServer(const ConnectionLimits& limits = {});

    const ConnectionLimits& limits() const { return limits_; }

    // The bytes a client would receive for the bytes it sent on one connection (requests in a row,
    // answered as a worker does for a socket), without a network: for the fuzz harness and tests.
    std::string answer(const std::string& client_bytes);

private:
    bool process_and_close_socket(socket_t sock) override;
    ConnectionLimits limits_;
};

}  // namespace cliprt::server
