// Thumbnails for the result grid: made once per image with the project's own decoder and
// Pillow-exact resize (shortest side to the size, then center crop, as the model sees it), encoded
// as JPEG and kept in a cache directory, so a grid of 50 results costs 50 decodes only the first time.
#pragma once

#include <string>

namespace cliprt::server {

class ThumbnailCache {
public:
    // `dir` is created on first use. `size` is the square thumbnail's side in pixels.
    explicit ThumbnailCache(std::string dir, int size = 256);

    // The cached JPEG bytes for `source` (an allowed, canonical path), made first if missing or
    // older than the source. Throws Error when the source cannot be decoded.
    std::string get(const std::string& id, const std::string& source);

    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
    int size_;
};

// JPEG bytes of an RGB8 image (stb_image_write).
std::string encode_jpeg(const unsigned char* rgb, int width, int height, int quality);

}  // namespace cliprt::server
