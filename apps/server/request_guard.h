// Which requests the server answers at all. A server on 127.0.0.1 is reachable by every web page the
// user opens: through DNS rebinding (a foreign name resolving to 127.0.0.1, caught by the Host check)
// and through plain cross-site requests (<img>, fetch with no-cors, form or text/plain POSTs, caught
// by Sec-Fetch-Site / Origin). Both checks are pure functions of header values so they can be tested
// and fuzzed without a socket.
#pragma once

#include <string>
#include <vector>

namespace cliprt::server {

// True for a listen address that only this machine can reach: 127.0.0.0/8, ::1, "localhost".
bool is_loopback_bind_address(const std::string& address);

struct HostPolicy {
    bool loopback_only = true;               // bound to a loopback address
    std::vector<std::string> allowed_names;  // --allow-host: extra names accepted in Host (any bind)
};

// The Host header value "name[:port]" / "[v6]:port" is one the server may answer: exactly
// "localhost", an IPv4 literal in 127.0.0.0/8 or [::1] (each with an optional decimal port), a name of
// the allow-list; for a non-loopback bind also any IP literal (a literal cannot be rebound by DNS).
// Anything else, "127.evil.com" and "127.0.0.1.nip.io" included, is refused.
bool host_header_allowed(const std::string& host_header, const HostPolicy& policy);

// A request made by a page of another site: Sec-Fetch-Site "cross-site" or "same-site" (browsers
// since 2020 send it on every request), else an Origin other than http://<Host> ("null" included).
// Requests without either header (curl, scripts) are not cross-site.
bool is_cross_site_request(const std::string& sec_fetch_site, const std::string& origin,
                           const std::string& host_header);

}  // namespace cliprt::server
