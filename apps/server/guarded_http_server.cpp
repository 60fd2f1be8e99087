#include "server/guarded_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cliprt::server {

namespace {

using Clock = std::chrono::steady_clock;

// Set while a connection beyond the waiting limit is handled on the accepting thread.
thread_local bool t_refuse_connection = false;

int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

bool wait_for(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    int r;
    do {
        r = ::poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    return r > 0;
}

void address_of(const sockaddr_storage& addr, std::string& ip, int& port) {
    char text[INET6_ADDRSTRLEN] = "";
    if (addr.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
        inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
        port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
        inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
        port = ntohs(a->sin6_port);
    }
    ip = text;
}

// A socket stream whose reads fail once the current deadline has passed (however the client paces
// its bytes), buffered because httplib reads request lines one byte at a time.
class DeadlineStream : public httplib::Stream {
public:
    DeadlineStream(int fd, std::chrono::milliseconds write_timeout) : fd_(fd), write_timeout_(write_timeout) {}

    void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }
    // A read found the deadline passed: the connection is to be closed, not kept alive.
    bool timed_out() const { return timed_out_; }
    // Waits up to `timeout` for the next request to start; false if none came.
    bool wait_for_request(std::chrono::milliseconds timeout, const std::atomic<socket_t>& listening) {
        const auto until = Clock::now() + timeout;
        if (begin_ < end_) return true;
        // In slices, so that stop() does not wait for idle keep-alive connections.
        while (listening != INVALID_SOCKET) {
            const int left = remaining_ms(until);
            if (wait_for(fd_, POLLIN, std::min(left, 200))) return true;
            if (left == 0) return false;
        }
        return false;
    }

    bool is_readable() const override { return begin_ < end_ || wait_for(fd_, POLLIN, remaining_ms(deadline_)); }
    bool is_writable() const override { return wait_for(fd_, POLLOUT, static_cast<int>(write_timeout_.count())); }

    ssize_t read(char* ptr, size_t size) override {
        if (begin_ == end_) {
            if (!wait_for(fd_, POLLIN, remaining_ms(deadline_))) {
                timed_out_ = true;
                return -1;
            }
            ssize_t n;
            do {
                n = ::recv(fd_, buffer_, sizeof buffer_, 0);
            } while (n < 0 && errno == EINTR);
            if (n <= 0) return n;
            begin_ = 0;
            end_ = static_cast<size_t>(n);
        }
        const size_t n = std::min(size, end_ - begin_);
        std::memcpy(ptr, buffer_ + begin_, n);
        begin_ += n;
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char* ptr, size_t size) override {
        if (!is_writable()) return -1;
        ssize_t n;
        do {
            n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        return n;
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_of(addr, ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_of(addr, ip, port);
    }
    socket_t socket() const override { return fd_; }

private:
    int fd_;
    std::chrono::milliseconds write_timeout_;
    Clock::time_point deadline_ = Clock::now();
    bool timed_out_ = false;
    char buffer_[4096];
    size_t begin_ = 0, end_ = 0;
};

// A connection in memory: reads consume `input`, writes append to `output`.
class MemoryStream : public httplib::Stream {
public:
    explicit MemoryStream(const std::string& input) : input_(input) {}
    bool is_readable() const override { return pos_ < input_.size(); }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override {
        const size_t n = std::min(size, input_.size() - pos_);
        std::memcpy(ptr, input_.data() + pos_, n);
        pos_ += n;
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char* ptr, size_t size) override {
        output_.append(ptr, size);
        return static_cast<ssize_t>(size);
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 40000;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = "127.0.0.1";
        port = 8080;
    }
    socket_t socket() const override { return INVALID_SOCKET; }
    bool at_end() const { return pos_ >= input_.size(); }
    const std::string& output() const { return output_; }

private:
    const std::string& input_;
    size_t pos_ = 0;
    std::string output_;
};

// A fixed pool of workers with a bounded queue; a connection that finds the queue full is refused
// on the accepting thread (t_refuse_connection) instead of waiting without limit.
class BoundedPool : public httplib::TaskQueue {
public:
    BoundedPool(size_t threads, size_t max_waiting) : max_waiting_(max_waiting) {
        for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    }
    void enqueue(std::function<void()> fn) override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (jobs_.size() < max_waiting_) {
                jobs_.push_back(std::move(fn));
                cond_.notify_one();
                return;
            }
        }
        t_refuse_connection = true;
        fn();
        t_refuse_connection = false;
    }
    void shutdown() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        cond_.notify_all();
        for (auto& t : workers_) t.join();
    }

private:
    void work() {
        for (;;) {
            std::function<void()> fn;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cond_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                fn = std::move(jobs_.front());
                jobs_.pop_front();
            }
            fn();
        }
    }
    size_t max_waiting_;
    std::vector<std::thread> workers_;
    std::deque<std::function<void()>> jobs_;
    std::mutex mutex_;
    std::condition_variable cond_;
    bool stopping_ = false;
};

}  // namespace

GuardedHttpServer::GuardedHttpServer(const ConnectionLimits& limits) : limits_(limits) {
    new_task_queue = [this] { return new BoundedPool(limits_.worker_threads, limits_.max_waiting); };
    set_keep_alive_max_count(limits_.keep_alive_max_requests);
}

std::string GuardedHttpServer::answer(const std::string& client_bytes) {
    MemoryStream stream(client_bytes);
    for (size_t left = limits_.keep_alive_max_requests; left > 0 && !stream.at_end(); --left) {
        bool closed = false;
        if (!process_request(stream, left == 1, closed, nullptr) || closed) break;
    }
    return stream.output();
}

bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
    bool ok = false;
    if (t_refuse_connection) {
        static const char busy[] =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
            "Content-Length: 41\r\n\r\n{\"error\": \"too many connections, retry\"}\n";
        (void)!::send(sock, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    } else {
        DeadlineStream stream(sock, std::chrono::seconds(write_timeout_sec_));
        for (size_t left = limits_.keep_alive_max_requests; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
            if (!stream.wait_for_request(limits_.keep_alive_timeout, svr_sock_)) break;
            stream.set_deadline(Clock::now() + limits_.header_timeout);
            bool closed = false;
            ok = process_request(stream, left == 1, closed,
                                 [&](httplib::Request&) { stream.set_deadline(Clock::now() + limits_.body_timeout); });
            if (!ok || closed || stream.timed_out()) break;
        }
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
}

}  // namespace cliprt::server
