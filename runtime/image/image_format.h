// What the headers of an image file say beyond the pixels stb_image returns: the file format and
// the Pillow mode the file opens in (with its palette), GIF frame details, and whether a JPEG or
// PNG stream is complete. Pillow makes these choices in its Png/Jpeg/Bmp/Gif/TgaImagePlugin.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cliprt/image.h"

namespace cliprt::image_format {

enum class Format { Png, Jpeg, Bmp, Gif, Tga };

const char* format_name(Format format);

// By signature (TGA, which has none, by a ".tga" file name); throws Error naming `name` for
// anything else, naming the format where it is a known one stb cannot read (WebP, TIFF, ...).
Format detect(const uint8_t* data, size_t size, const std::string& name);

struct GifFirstFrame {
    int left = 0, top = 0, width = 0, height = 0;
    int transparent_index = -1;  // -1: none
};

struct Facts {
    int64_t width = 0, height = 0;  // as the header states them
    PixelMode mode = PixelMode::RGB;
    std::vector<uint8_t> palette;  // P: RGB triplets (GIF: of the first frame's color table)
    bool sixteen_bit = false;      // PNG with 16-bit samples
    GifFirstFrame gif;             // GIF only
    bool mirrored = false;         // TGA stored right to left, which stb_image ignores
    int file_channels = 4;         // samples per pixel as stored (PNG, JPEG), for the decode cost
    // PNG tRNS: P: the alpha of each palette entry (entries past its end are opaque); 1, L, I;16:
    // the transparent gray, RGB: the transparent color, as Pillow's conversion compares them (the
    // low 8 bits of the file's 16-bit key; 255 for any nonzero bilevel key).
    bool has_transparency = false;
    std::vector<uint8_t> palette_alpha;
    int transparent_gray = -1;
    int transparent_rgb[3] = {-1, -1, -1};
};

// The bytes a decode of this image holds at its peak (stb_image's buffers and the conversion to the
// Pillow mode), an upper estimate from the header facts.
int64_t decode_cost_bytes(Format format, const Facts& facts);

// Reads the headers; throws Error naming `name` for a truncated, unsupported, zero-sized or
// oversized (more than kMaxImagePixels, or a decode cost over kMaxDecodeBytes) file.
Facts inspect(Format format, const uint8_t* data, size_t size, const std::string& name);

}  // namespace cliprt::image_format
