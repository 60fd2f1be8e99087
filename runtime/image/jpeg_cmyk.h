// 4-component (CMYK and YCCK) JPEGs, which stb_image converts to RGB itself: decoded with libjpeg,
// the library Pillow decodes with, into Pillow's CMYK mode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cliprt {

// Interleaved CMYK, 4 bytes per pixel, as Pillow's JpegImagePlugin opens it: libjpeg's CMYK output
// (YCCK converted by libjpeg) read with rawmode "CMYK;I", i.e. inverted, since Pillow assumes
// Adobe's convention that the samples are stored inverted. Throws Error naming `name` when libjpeg
// fails or the size differs from width x height.
std::vector<uint8_t> decode_cmyk_jpeg(const uint8_t* data, size_t size, int width, int height, const std::string& name);

}  // namespace cliprt
