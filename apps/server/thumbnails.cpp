#include "server/thumbnails.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "cliprt/error.h"
#include "cliprt/image.h"

// stb_image_write, private to this file (the runtime library only decodes).
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace cliprt::server {

namespace fs = std::filesystem;

namespace {

void append_bytes(void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

std::string encode_jpeg(const unsigned char* rgb, int width, int height, int quality) {
    std::string out;
    if (!stbi_write_jpg_to_func(append_bytes, &out, width, height, 3, rgb, quality))
        fail("cannot encode a JPEG thumbnail");
    return out;
}

ThumbnailCache::ThumbnailCache(std::string dir, int size) : dir_(std::move(dir)), size_(size) {}

std::string ThumbnailCache::get(const std::string& id, const std::string& source) {
    const std::string cached = dir_ + "/" + id + "-" + std::to_string(size_) + ".jpg";
    std::error_code ec;
    const auto source_time = fs::last_write_time(source, ec);
    if (!ec) {
        std::error_code ec2;
        const auto cached_time = fs::last_write_time(cached, ec2);
        if (!ec2 && cached_time >= source_time) return read_all(cached);
    }

    PreprocessConfig config;
    config.height = config.width = size_;
    const Image image = decode_image_file(source);
    const std::vector<uint8_t> rgb = preprocess_to_rgb8(image, config);
    const std::string jpeg = encode_jpeg(rgb.data(), size_, size_, 85);

    // Written under a unique name and renamed, so concurrent requests never see half a file.
    static std::atomic<unsigned> counter{0};
    fs::create_directories(dir_, ec);
    const std::string tmp = cached + ".tmp" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(jpeg.data(), static_cast<std::streamsize>(jpeg.size()));
        if (!out) {
            fs::remove(tmp, ec);
            return jpeg;  // an unwritable cache only costs speed
        }
    }
    fs::rename(tmp, cached, ec);
    if (ec) fs::remove(tmp, ec);
    return jpeg;
}

}  // namespace cliprt::server
