// Header parsing per format, following Pillow 13's image plugins where they decide the mode.
#include "image/image_format.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "cliprt/error.h"

namespace cliprt::image_format {
namespace {

// Bounds-checked little/big-endian reads over the file bytes.
class Bytes {
public:
    Bytes(const uint8_t* data, size_t size, const std::string& name, const char* format)
        : data_(data), size_(size), name_(name), format_(format) {}

    size_t size() const { return size_; }
    bool has(size_t offset, size_t count) const { return offset <= size_ && count <= size_ - offset; }
    void need(size_t offset, size_t count) const {
        if (!has(offset, count)) truncated();
    }
    [[noreturn]] void truncated() const { fail(name_, ": truncated ", format_, " file (", size_, " bytes)"); }
    uint8_t u8(size_t at) const {
        need(at, 1);
        return data_[at];
    }
    uint32_t le16(size_t at) const { return u8(at) | (u8(at + 1) << 8); }
    uint32_t le32(size_t at) const { return le16(at) | (le16(at + 2) << 16); }
    uint32_t be16(size_t at) const { return (u8(at) << 8) | u8(at + 1); }
    uint32_t be32(size_t at) const { return (be16(at) << 16) | be16(at + 2); }
    const uint8_t* at(size_t offset) const { return data_ + offset; }
    [[noreturn]] void unsupported(const std::string& what) const { fail(name_, ": unsupported ", format_, ": ", what); }

private:
    const uint8_t* data_;
    size_t size_;
    const std::string& name_;
    const char* format_;
};

bool starts_with(const uint8_t* data, size_t size, const char* magic, size_t length) {
    return size >= length && std::memcmp(data, magic, length) == 0;
}

bool has_tga_extension(const std::string& name) {
    if (name.size() < 4) return false;
    std::string ext = name.substr(name.size() - 4);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".tga";
}

// PngImagePlugin._MODES (16-bit gray + alpha opens as RGBA).
Facts inspect_png(const Bytes& b) {
    Facts facts;
    size_t pos = 8;
    bool have_header = false, have_data = false;
    int depth = 0, color = 0;
    std::vector<uint8_t> trns;
    bool have_trns = false;
    while (true) {
        if (!b.has(pos, 1) && have_data) break;  // Pillow accepts a PNG that ends without IEND
        b.need(pos, 12);
        uint32_t length = b.be32(pos);
        std::string type(reinterpret_cast<const char*>(b.at(pos + 4)), 4);
        b.need(pos + 8, size_t{length} + 4);
        if (type == "IHDR") {
            b.need(pos + 8, 13);
            facts.width = b.be32(pos + 8);
            facts.height = b.be32(pos + 12);
            depth = b.u8(pos + 16);
            color = b.u8(pos + 17);
            have_header = true;
        } else if (type == "PLTE") {
            facts.palette.assign(b.at(pos + 8), b.at(pos + 8) + length / 3 * 3);
        } else if (type == "tRNS" && !have_data) {
            trns.assign(b.at(pos + 8), b.at(pos + 8) + length);
            have_trns = true;
        } else if (type == "IDAT") {
            have_data = true;
        } else if (type == "IEND") {
            break;
        }
        pos += size_t{length} + 12;
    }
    if (!have_header || !have_data) b.truncated();
    facts.sixteen_bit = depth == 16;
    facts.file_channels = color == 2 ? 3 : color == 4 ? 2 : color == 6 ? 4 : 1;
    switch (color) {
        case 0:
            facts.mode = depth == 1 ? PixelMode::One : depth == 16 ? PixelMode::I16 : PixelMode::L;
            break;
        case 2:
            facts.mode = PixelMode::RGB;
            break;
        case 3:
            facts.mode = PixelMode::P;
            break;
        case 4:
            facts.mode = depth == 16 ? PixelMode::RGBA : PixelMode::LA;
            break;
        case 6:
            facts.mode = PixelMode::RGBA;
            break;
        default:
            b.unsupported("color type " + std::to_string(color));
    }
    // PngImagePlugin.chunk_tRNS.
    if (have_trns && facts.mode == PixelMode::P) {
        facts.has_transparency = true;
        facts.palette_alpha = trns;
    } else if (have_trns && trns.size() >= 2 &&
               (facts.mode == PixelMode::One || facts.mode == PixelMode::L || facts.mode == PixelMode::I16)) {
        const uint32_t key = (uint32_t{trns[0]} << 8) | trns[1];
        facts.has_transparency = true;
        facts.transparent_gray = facts.mode == PixelMode::One ? (key ? 255 : 0) : static_cast<int>(key & 0xff);
    } else if (have_trns && trns.size() >= 6 && facts.mode == PixelMode::RGB) {
        facts.has_transparency = true;
        for (int c = 0; c < 3; ++c) facts.transparent_rgb[c] = trns[2 * c + 1];
    }
    return facts;
}

// A DHT segment's tables may define at most 256 codes each; stb_image 2.27 does not check that and
// writes past its table for forged files.
void check_huffman_tables(const Bytes& b, size_t pos, size_t end) {
    while (pos < end) {
        b.need(pos, 17);
        size_t codes = 0;
        for (size_t i = 1; i <= 16; ++i) codes += b.u8(pos + i);
        if (codes > 256 || pos + 17 + codes > end) b.unsupported("corrupt Huffman table");
        pos += 17 + codes;
    }
}

// Walks the JPEG markers to the end of the image: the component count decides the mode, and a
// stream without its EOI marker is truncated (Pillow refuses those; stb would decode garbage).
Facts inspect_jpeg(const Bytes& b) {
    Facts facts;
    int components = 0;
    size_t pos = 2;
    while (true) {
        b.need(pos, 2);
        if (b.u8(pos) != 0xFF) {
            ++pos;  // entropy-coded data between markers
            continue;
        }
        uint8_t marker = b.u8(pos + 1);
        if (marker == 0xFF || marker == 0x00 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
            pos += marker == 0xFF ? 1 : 2;  // fill byte, stuffed zero, restart marker
            continue;
        }
        if (marker == 0xD9) break;  // EOI
        uint32_t length = b.be16(pos + 2);
        b.need(pos + 2, length);
        if (marker == 0xC4) check_huffman_tables(b, pos + 4, pos + 2 + length);
        bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof && components == 0) {
            facts.height = b.be16(pos + 5);
            facts.width = b.be16(pos + 7);
            components = b.u8(pos + 9);
        }
        pos += 2 + length;
    }
    facts.file_channels = components;
    if (components == 1) {
        facts.mode = PixelMode::L;
    } else if (components == 3) {
        facts.mode = PixelMode::RGB;
    } else if (components == 4) {
        facts.mode = PixelMode::CMYK;  // CMYK or YCCK (Adobe transform 2): libjpeg decodes both to CMYK
    } else {
        b.unsupported(std::to_string(components) + " color components (1, 3 or 4 are read)");
    }
    return facts;
}

// GifImagePlugin, first frame: the frame's color table (local, else global) unless it is the
// identity gray ramp, which Pillow opens as L; the transparency of the Graphic Control Extension.
Facts inspect_gif(const Bytes& b) {
    Facts facts;
    facts.width = b.le16(6);
    facts.height = b.le16(8);
    uint8_t flags = b.u8(10);
    size_t pos = 13;
    std::vector<uint8_t> global;
    if (flags & 0x80) {
        size_t bytes = size_t{3} << ((flags & 7) + 1);
        b.need(pos, bytes);
        global.assign(b.at(pos), b.at(pos) + bytes);
        pos += bytes;
    }
    while (true) {
        uint8_t block = b.u8(pos);
        if (block == 0x21) {  // extension: label, then sub-blocks
            uint8_t label = b.u8(pos + 1);
            if (label == 0xF9 && b.u8(pos + 2) >= 4) {
                facts.gif.transparent_index = (b.u8(pos + 3) & 1) ? b.u8(pos + 6) : -1;
            }
            pos += 2;
            for (uint8_t length = b.u8(pos); length != 0; length = b.u8(pos)) pos += 1 + length;
            ++pos;
        } else if (block == 0x2C) {  // image descriptor
            facts.gif.left = static_cast<int>(b.le16(pos + 1));
            facts.gif.top = static_cast<int>(b.le16(pos + 3));
            facts.gif.width = static_cast<int>(b.le16(pos + 5));
            facts.gif.height = static_cast<int>(b.le16(pos + 7));
            uint8_t image_flags = b.u8(pos + 9);
            facts.palette = global;
            if (image_flags & 0x80) {
                size_t bytes = size_t{3} << ((image_flags & 7) + 1);
                b.need(pos + 10, bytes);
                facts.palette.assign(b.at(pos + 10), b.at(pos + 10) + bytes);
            }
            break;
        } else {
            b.unsupported("no image before the GIF trailer");
        }
    }
    bool gray_ramp = !facts.palette.empty();
    for (size_t i = 0; i < facts.palette.size(); ++i)
        gray_ramp = gray_ramp && facts.palette[i] == static_cast<uint8_t>(i / 3);
    facts.mode = gray_ramp ? PixelMode::L : PixelMode::P;
    return facts;
}

// BmpImagePlugin: palette images whose palette is exactly black/white or the gray ramp open as
// "1" / L; 32-bit pixels carry alpha only with an alpha bit mask.
Facts inspect_bmp(const Bytes& b) {
    Facts facts;
    uint32_t header_size = b.le32(14);
    uint32_t bits = 0, compression = 0, colors = 0, alpha_mask = 0;
    size_t entry_size = 4;
    if (header_size == 12) {
        facts.width = b.le16(18);
        facts.height = b.le16(20);
        bits = b.le16(24);
        entry_size = 3;
    } else {
        facts.width = static_cast<int32_t>(b.le32(18));
        facts.height = std::abs(int64_t{static_cast<int32_t>(b.le32(22))});  // negative: stored top-down
        bits = b.le16(28);
        compression = b.le32(30);
        colors = b.le32(46);
        bool all_masks_zero = false;
        if (compression == 3) {  // BITFIELDS: masks inside a long header, else after a 40-byte one
            alpha_mask = header_size >= 56 ? b.le32(66) : 0;
            all_masks_zero = b.le32(54) == 0 && b.le32(58) == 0 && b.le32(62) == 0 && alpha_mask == 0;
        }
        if (bits == 32 && (alpha_mask != 0 || all_masks_zero)) alpha_mask = 1;
    }
    if (bits > 8) {
        facts.mode = alpha_mask ? PixelMode::RGBA : PixelMode::RGB;
        return facts;
    }
    if (colors == 0) colors = 1u << bits;
    size_t pos = 14 + header_size;
    b.need(pos, size_t{colors} * entry_size);
    bool gray = true;
    for (uint32_t i = 0; i < colors; ++i) {
        const uint8_t* bgr = b.at(pos + i * entry_size);
        uint32_t expected = colors == 2 ? (i ? 255 : 0) : i;
        gray = gray && bgr[0] == expected && bgr[1] == expected && bgr[2] == expected;
        facts.palette.insert(facts.palette.end(), {bgr[2], bgr[1], bgr[0]});
    }
    facts.mode = gray ? (colors <= 2 ? PixelMode::One : PixelMode::L) : PixelMode::P;
    if (facts.mode != PixelMode::P) facts.palette.clear();
    return facts;
}

// TgaImagePlugin: the image type and depth decide the mode; a color map becomes the palette.
Facts inspect_tga(const Bytes& b) {
    Facts facts;
    b.need(0, 18);
    uint32_t id_length = b.u8(0), map_type = b.u8(1), type = b.u8(2), depth = b.u8(16);
    facts.mirrored = (b.u8(17) & 0x10) != 0;
    facts.width = b.le16(12);
    facts.height = b.le16(14);
    if (type == 3 || type == 11) {
        facts.mode = depth == 1 ? PixelMode::One : depth == 16 ? PixelMode::LA : PixelMode::L;
    } else if (type == 1 || type == 9) {
        facts.mode = map_type ? PixelMode::P : PixelMode::L;
    } else if (type == 2 || type == 10) {
        facts.mode = depth == 24 ? PixelMode::RGB : PixelMode::RGBA;
    } else {
        b.unsupported("image type " + std::to_string(type));
    }
    if (facts.mode == PixelMode::P) {
        uint32_t start = b.le16(3), count = b.le16(5), map_depth = b.u8(7);
        size_t entry = map_depth == 15 || map_depth == 16 ? 2 : map_depth / 8;
        facts.palette.assign(size_t{start} * 3, 0);
        for (uint32_t i = 0; i < count; ++i) {
            size_t at = 18 + id_length + i * entry;
            if (entry == 2) {
                uint32_t v = b.le16(at);  // 5-5-5, expanded as Pillow's BGRA;15Z does
                for (int shift : {10, 5, 0})
                    facts.palette.push_back(static_cast<uint8_t>(((v >> shift) & 31) * 255 / 31));
            } else {
                facts.palette.insert(facts.palette.end(), {b.u8(at + 2), b.u8(at + 1), b.u8(at)});
            }
        }
    }
    return facts;
}

Facts inspect_headers(Format format, const Bytes& bytes) {
    switch (format) {
        case Format::Png:
            return inspect_png(bytes);
        case Format::Jpeg:
            return inspect_jpeg(bytes);
        case Format::Bmp:
            return inspect_bmp(bytes);
        case Format::Gif:
            return inspect_gif(bytes);
        case Format::Tga:
            return inspect_tga(bytes);
    }
    bytes.unsupported("unknown format");
}

}  // namespace

int64_t decode_cost_bytes(Format format, const Facts& facts) {
    const int64_t pixels = facts.width * facts.height;
    const int64_t out = pixel_mode_channels(facts.mode);  // what we keep
    int64_t per_pixel = 0;
    switch (format) {
        case Format::Png: {
            // Inflated rows, the unfiltered image (up to 4 channels), the requested channels, the
            // 16 -> 8 bit conversion, our copy.
            const int64_t sample = facts.sixteen_bit ? 2 : 1;
            per_pixel = facts.file_channels * sample + 4 * sample + out * sample + out + out * sample;
            break;
        }
        case Format::Jpeg:
            // Component planes, progressive coefficients (2 bytes per sample), output, our copy.
            per_pixel = facts.file_channels * 3 + out * 2;
            break;
        case Format::Gif:
            // stb's RGBA canvas, background and history, our RGBA copy, the selected channels.
            per_pixel = 4 + 4 + 1 + 4 + out;
            break;
        case Format::Bmp:
        case Format::Tga:
            per_pixel = 4 + 4 + out;
            break;
    }
    return pixels * per_pixel;
}

const char* format_name(Format format) {
    switch (format) {
        case Format::Png:
            return "PNG";
        case Format::Jpeg:
            return "JPEG";
        case Format::Bmp:
            return "BMP";
        case Format::Gif:
            return "GIF";
        case Format::Tga:
            return "TGA";
    }
    return "?";
}

Format detect(const uint8_t* data, size_t size, const std::string& name) {
    if (size == 0) fail(name, ": the image file is empty");
    if (starts_with(data, size, "\x89PNG\r\n\x1a\n", 8)) return Format::Png;
    if (starts_with(data, size, "\xff\xd8\xff", 3)) return Format::Jpeg;
    if (starts_with(data, size, "GIF87a", 6) || starts_with(data, size, "GIF89a", 6)) return Format::Gif;
    if (starts_with(data, size, "BM", 2)) return Format::Bmp;
    if (has_tga_extension(name)) return Format::Tga;
    if (size >= 12 && starts_with(data, size, "RIFF", 4) && std::memcmp(data + 8, "WEBP", 4) == 0) {
        fail(name, ": WebP images are not supported (PNG, JPEG, BMP, GIF, TGA are)");
    }
    if (starts_with(data, size, "II*\0", 4) || starts_with(data, size, "MM\0*", 4)) {
        fail(name, ": TIFF images are not supported (PNG, JPEG, BMP, GIF, TGA are)");
    }
    fail(name, ": not an image file cliprt can read (PNG, JPEG, BMP, GIF, TGA)");
}

Facts inspect(Format format, const uint8_t* data, size_t size, const std::string& name) {
    Facts facts = inspect_headers(format, Bytes(data, size, name, format_name(format)));
    if (facts.width <= 0 || facts.height <= 0) {
        fail(name, ": the image has zero size (", facts.width, "x", facts.height, ")");
    }
    // Checked before decoding, so that a forged header cannot make the decoder allocate.
    if (facts.width > kMaxImagePixels || facts.height > kMaxImagePixels ||
        facts.width * facts.height > kMaxImagePixels) {
        fail(name, ": the image is ", facts.width, "x", facts.height, " pixels, more than the limit of ",
             kMaxImagePixels);
    }
    const int64_t cost = decode_cost_bytes(format, facts);
    if (cost > kMaxDecodeBytes) {
        fail(name, ": decoding this ", facts.width, "x", facts.height, facts.sixteen_bit ? " 16-bit " : " ",
             format_name(format), " would need about ", cost >> 20, " MiB, more than the limit of ",
             kMaxDecodeBytes >> 20, " MiB");
    }
    return facts;
}

}  // namespace cliprt::image_format
