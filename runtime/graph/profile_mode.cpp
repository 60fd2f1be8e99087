#include <cstdlib>
#include <string>

#include "cliprt/backend.h"

namespace cliprt {

ProfileMode profile_mode(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0' || std::string(value) == "0") return ProfileMode::Off;
    return std::string(value) == "collect" ? ProfileMode::Collect : ProfileMode::Print;
}

}  // namespace cliprt
