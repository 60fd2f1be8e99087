// Image decoding with stb_image (libjpeg for CMYK / YCCK JPEGs), shaped into the Pillow mode
// open_clip's pipeline would see (src/image_format.cpp decides the mode from the headers).
#include <algorithm>
#include <climits>
#include <fstream>
#include <iterator>
#include <memory>

#include "cliprt/error.h"
#include "cliprt/image.h"
#include "image/image_format.h"
#include "image/jpeg_cmyk.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_GIF
#define STBI_ONLY_TGA
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb_image.h>
#pragma GCC diagnostic pop

namespace cliprt {
namespace {

using image_format::Facts;
using image_format::Format;

struct StbFree {
    void operator()(void* p) const { stbi_image_free(p); }
};

[[noreturn]] void stb_failed(const std::string& name, Format format) {
    fail(name, ": cannot decode the ", image_format::format_name(format), " image (stb_image: ", stbi_failure_reason(),
         ")");
}

// GIF, first frame as Pillow composes it: the canvas starts as the transparency index (else index
// 0) and transparent pixels keep that index, so they show its palette color; stb_image leaves both
// black with alpha 0. With a transparency index those pixels get alpha 0 in `alpha`.
void fill_gif_background(std::vector<uint8_t>& rgba, int width, int height, const Facts& facts,
                         std::vector<uint8_t>& alpha) {
    int index = facts.gif.transparent_index >= 0 ? facts.gif.transparent_index : 0;
    uint8_t color[3] = {0, 0, 0};
    for (int c = 0; c < 3; ++c) {
        if (static_cast<size_t>(index) * 3 + c < facts.palette.size()) color[c] = facts.palette[index * 3 + c];
    }
    const auto& frame = facts.gif;
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            uint8_t* p = &rgba[(static_cast<size_t>(y) * width + x) * 4];
            bool inside =
                x >= frame.left && x < frame.left + frame.width && y >= frame.top && y < frame.top + frame.height;
            if (!inside || p[3] == 0) {
                p[0] = color[0], p[1] = color[1], p[2] = color[2];
                if (facts.gif.transparent_index >= 0) {
                    if (alpha.empty()) alpha.assign(static_cast<size_t>(width) * height, 255);
                    alpha[static_cast<size_t>(y) * width + x] = 0;
                }
            }
        }
    }
}

// Keeps the first `keep` of `have` channels.
std::vector<uint8_t> select_channels(const std::vector<uint8_t>& in, int have, int keep) {
    std::vector<uint8_t> out(in.size() / have * keep);
    for (size_t p = 0, n = in.size() / have; p < n; ++p) {
        for (int c = 0; c < keep; ++c) out[p * keep + c] = in[p * have + c];
    }
    return out;
}

template <typename T>
void mirror_rows(std::vector<T>& pixels, int width, int height, int channels) {
    for (int y = 0; y < height; ++y) {
        T* row = pixels.data() + static_cast<size_t>(y) * width * channels;
        for (int a = 0, b = width - 1; a < b; ++a, --b) {
            std::swap_ranges(row + a * channels, row + (a + 1) * channels, row + b * channels);
        }
    }
}

}  // namespace

int pixel_mode_channels(PixelMode mode) {
    switch (mode) {
        case PixelMode::One:
        case PixelMode::L:
        case PixelMode::I16:
            return 1;
        case PixelMode::LA:
            return 2;
        case PixelMode::P:
        case PixelMode::RGB:
            return 3;
        case PixelMode::RGBA:
        case PixelMode::CMYK:
            return 4;
    }
    return 0;
}

const char* pixel_mode_name(PixelMode mode) {
    switch (mode) {
        case PixelMode::One:
            return "1";
        case PixelMode::L:
            return "L";
        case PixelMode::LA:
            return "LA";
        case PixelMode::P:
            return "P";
        case PixelMode::RGB:
            return "RGB";
        case PixelMode::RGBA:
            return "RGBA";
        case PixelMode::I16:
            return "I;16";
        case PixelMode::CMYK:
            return "CMYK";
    }
    return "?";
}

Image decode_image(const uint8_t* data, size_t size, const std::string& name) {
    Format format = image_format::detect(data, size, name);
    Facts facts = image_format::inspect(format, data, size, name);
    if (size > static_cast<size_t>(INT_MAX)) fail(name, ": image file too large (", size, " bytes)");
    int length = static_cast<int>(size);

    int width = static_cast<int>(facts.width), height = static_cast<int>(facts.height);
    int64_t pixels = facts.width * facts.height;

    Image image;
    image.mode = facts.mode;
    int channels = pixel_mode_channels(facts.mode);
    int x = 0, y = 0, n = 0;
    if (facts.mode == PixelMode::CMYK) {
        image.pixels = decode_cmyk_jpeg(data, size, width, height, name);
        x = width, y = height;
    } else if (facts.mode == PixelMode::I16) {
        std::unique_ptr<stbi_us, StbFree> decoded(stbi_load_16_from_memory(data, length, &x, &y, &n, 1));
        if (!decoded) stb_failed(name, format);
        image.pixels16.assign(decoded.get(), decoded.get() + pixels);
    } else {
        // GIF comes as RGBA so that transparency can be replaced by Pillow's colors, a PNG palette
        // with tRNS as RGBA for the alpha of its entries.
        const bool palette_alpha = facts.mode == PixelMode::P && facts.has_transparency && format == Format::Png;
        int request = format == Format::Gif || palette_alpha ? 4 : channels;
        std::unique_ptr<stbi_uc, StbFree> decoded(stbi_load_from_memory(data, length, &x, &y, &n, request));
        if (!decoded) stb_failed(name, format);
        image.pixels.assign(decoded.get(), decoded.get() + pixels * request);
        if (format == Format::Gif) {
            fill_gif_background(image.pixels, width, height, facts, image.alpha);
            image.pixels = select_channels(image.pixels, 4, channels);
        } else if (palette_alpha) {
            image.alpha.resize(static_cast<size_t>(pixels));
            for (size_t p = 0; p < image.alpha.size(); ++p) image.alpha[p] = image.pixels[p * 4 + 3];
            image.pixels = select_channels(image.pixels, 4, channels);
        }
    }
    if (x != width || y != height) fail(name, ": decoded size ", x, "x", y, " differs from the header's");
    if (facts.mirrored && facts.mode == PixelMode::I16) {
        mirror_rows(image.pixels16, width, height, channels);
    } else if (facts.mirrored) {
        mirror_rows(image.pixels, width, height, channels);
    }
    image.width = width;
    image.height = height;
    if (facts.mode == PixelMode::P) image.palette = facts.palette;
    if (facts.transparent_rgb[0] >= 0) {
        image.alpha.resize(static_cast<size_t>(pixels));
        for (size_t p = 0; p < image.alpha.size(); ++p) {
            const uint8_t* rgb = &image.pixels[p * 3];
            const bool key = rgb[0] == facts.transparent_rgb[0] && rgb[1] == facts.transparent_rgb[1] &&
                             rgb[2] == facts.transparent_rgb[2];
            image.alpha[p] = key ? 0 : 255;
        }
    }
    if (facts.transparent_gray >= 0) {
        // Pillow's convert_transparent: alpha 0 where the pixel, converted to 8-bit gray, is the key.
        image.alpha.resize(static_cast<size_t>(pixels));
        for (size_t p = 0; p < image.alpha.size(); ++p) {
            const int gray = facts.mode == PixelMode::I16 ? std::min<int>(image.pixels16[p], 255) : image.pixels[p];
            image.alpha[p] = gray == facts.transparent_gray ? 0 : 255;
        }
    }
    return image;
}

Image decode_image_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot open image file ", path);
    // The signature first, then the size: neither a non-image nor a file larger than any decode may
    // cost is read whole.
    uint8_t head[16] = {};
    in.read(reinterpret_cast<char*>(head), sizeof head);
    const size_t head_size = static_cast<size_t>(in.gcount());
    image_format::detect(head, head_size, path);
    in.clear();
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0) fail("cannot read image file ", path);
    if (size > kMaxDecodeBytes) {
        fail(path, ": the image file is ", size >> 20, " MiB, more than the decode limit of ", kMaxDecodeBytes >> 20,
             " MiB");
    }
    std::vector<uint8_t> bytes(static_cast<size_t>(size));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(bytes.data()), size);
    if (in.gcount() != size) fail("cannot read image file ", path, " (it changed while being read?)");
    return decode_image(bytes.data(), bytes.size(), path);
}

}  // namespace cliprt
