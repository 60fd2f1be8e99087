#include "search/content_hash.h"

#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "cliprt/error.h"

namespace cliprt::search {

namespace {

std::string to_hex(XXH128_hash_t hash) {
    char text[33];
    std::snprintf(text, sizeof(text), "%016llx%016llx", static_cast<unsigned long long>(hash.high64),
                  static_cast<unsigned long long>(hash.low64));
    return text;
}

}  // namespace

std::string hash_bytes(const void* data, size_t size) { return to_hex(XXH3_128bits(data, size)); }

std::string hash_file(const std::string& path) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) fail("cannot read ", path, ": ", std::strerror(errno));
    std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> state(XXH3_createState(), &XXH3_freeState);
    if (!state || XXH3_128bits_reset(state.get()) != XXH_OK) fail("cannot allocate a hash state");
    std::vector<unsigned char> buffer(1 << 20);
    for (;;) {
        const size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
        if (got > 0) XXH3_128bits_update(state.get(), buffer.data(), got);
        if (got < buffer.size()) {
            if (std::ferror(file.get())) fail("cannot read ", path, ": read error");
            break;
        }
    }
    return to_hex(XXH3_128bits_digest(state.get()));
}

}  // namespace cliprt::search
