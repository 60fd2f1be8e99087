// Content hash of an image file. The index recognises a moved or copied file by it, so a rename
// costs a hash of the bytes instead of a decode and a forward.
#pragma once

#include <string>

namespace cliprt::search {

// XXH3-128 of the file's bytes as 32 lowercase hex digits (libxxhash: fast enough that hashing a
// photo costs far less than decoding it; 128 bits make an accidental collision negligible).
// Throws Error naming the file when it cannot be read.
std::string hash_file(const std::string& path);

// The same hash of a byte string (tests, and anything hashed in memory).
std::string hash_bytes(const void* data, size_t size);

}  // namespace cliprt::search
