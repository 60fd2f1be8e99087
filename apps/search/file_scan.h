// Finding the image files under the folders a user names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cliprt::search {

struct ScannedFile {
    std::string path;  // absolute and lexically normal (symlinks are not resolved)
    int64_t size = 0;
    int64_t mtime_ns = 0;  // st_mtim in nanoseconds since the epoch
};

struct ScanResult {
    std::vector<ScannedFile> files;   // sorted by path
    std::vector<std::string> errors;  // "path: reason" for entries that could not be listed or stat'ed
};

// True for the extensions the decoder reads: png jpg jpeg bmp gif tga, any letter case.
bool is_image_path(const std::string& path);

// The absolute, lexically normal form used as the index key of a path.
std::string normalize_path(const std::string& path);

// Recursive scan of each root (a directory, or a single image file). Directory symlinks are not
// followed (no cycles); subdirectories without read permission are skipped, other listing
// errors are reported in errors. A root that
// does not exist throws Error.
ScanResult scan_images(const std::vector<std::string>& roots);

// Size and mtime of one file; false if it cannot be stat'ed.
bool stat_file(const std::string& path, int64_t* size, int64_t* mtime_ns);

}  // namespace cliprt::search
