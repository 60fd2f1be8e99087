// Error type of the whole library: one exception class whose message names the file, tensor,
// shape or option at fault. The CLI prints what() as one line and exits non-zero.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace cliprt {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Builds a message from streamable parts: fail("tensor ", name, " has shape ", shape).
template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    throw Error(out.str());
}

}  // namespace cliprt
