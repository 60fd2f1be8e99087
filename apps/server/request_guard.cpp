#include "server/request_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace cliprt::server {

namespace {

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool is_port(const std::string& text) {
    return !text.empty() && text.size() <= 5 &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

// A strict dotted quad (inet_pton AF_INET takes nothing else: no "127.1", no hex, no trailing dot).
bool ipv4_literal(const std::string& text, uint8_t out[4]) { return inet_pton(AF_INET, text.c_str(), out) == 1; }

bool ipv6_literal(const std::string& text, uint8_t out[16]) { return inet_pton(AF_INET6, text.c_str(), out) == 1; }

bool is_ipv6_loopback(const uint8_t a[16]) {
    for (int i = 0; i < 15; ++i) {
        if (a[i] != 0) return false;
    }
    return a[15] == 1;
}

struct HostName {
    std::string name;  // without brackets and port, lowercase
    bool bracketed = false;
    bool valid = false;
};

// "name", "name:port", "[v6]", "[v6]:port".
HostName split_host_header(const std::string& header) {
    HostName h;
    if (header.empty()) return h;
    std::string rest;
    if (header[0] == '[') {
        const size_t close = header.find(']');
        if (close == std::string::npos) return h;
        h.name = header.substr(1, close - 1);
        h.bracketed = true;
        rest = header.substr(close + 1);
    } else {
        const size_t colon = header.find(':');
        h.name = header.substr(0, colon);
        if (colon != std::string::npos) rest = header.substr(colon);
    }
    if (!rest.empty() && !(rest[0] == ':' && is_port(rest.substr(1)))) return h;
    h.name = lowercase(h.name);
    h.valid = !h.name.empty();
    return h;
}

}  // namespace

bool is_loopback_bind_address(const std::string& address) {
    uint8_t v4[4], v6[16];
    if (lowercase(address) == "localhost") return true;
    if (ipv4_literal(address, v4)) return v4[0] == 127;
    if (ipv6_literal(address, v6)) return is_ipv6_loopback(v6);
    return false;
}

bool host_header_allowed(const std::string& host_header, const HostPolicy& policy) {
    const HostName h = split_host_header(host_header);
    if (!h.valid) return false;
    uint8_t v4[4], v6[16];
    if (h.bracketed) {
        if (!ipv6_literal(h.name, v6)) return false;
        return is_ipv6_loopback(v6) || !policy.loopback_only;
    }
    if (ipv4_literal(h.name, v4)) return v4[0] == 127 || !policy.loopback_only;
    if (h.name == "localhost") return true;
    return std::any_of(policy.allowed_names.begin(), policy.allowed_names.end(),
                       [&](const std::string& allowed) { return lowercase(allowed) == h.name; });
}

bool is_cross_site_request(const std::string& sec_fetch_site, const std::string& origin,
                           const std::string& host_header) {
    if (!sec_fetch_site.empty()) {
        // "none": typed into the address bar or a bookmark; "same-origin": our own page.
        const std::string site = lowercase(sec_fetch_site);
        return site != "same-origin" && site != "none";
    }
    if (origin.empty()) return false;
    return lowercase(origin) != "http://" + lowercase(host_header);
}

}  // namespace cliprt::server
