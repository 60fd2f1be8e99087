// Pillow's Image.resize for the modes open_clip meets, reproduced to the bit (Pillow 13,
// libImaging/Resample.c and Geometry.c): separable antialiased bilinear / bicubic (a = -0.5) with
// fixed-point coefficients and rounding after each pass in the order Pillow picks, and NEAREST as
// Pillow's affine scaling does it. Only a window of the output is computed, so resize-then-crop
// costs the crop, not the (possibly huge) resized image.
#pragma once

#include <cstdint>
#include <vector>

#include "cliprt/image.h"

namespace cliprt::resample {

enum class Filter { Nearest, Bilinear, Bicubic };

// The filter of a preprocessing config's interpolation.
inline Filter filter_of(Interpolation interpolation) {
    switch (interpolation) {
        case Interpolation::Nearest:
            return Filter::Nearest;
        case Interpolation::Bilinear:
            return Filter::Bilinear;
        case Interpolation::Bicubic:
            break;
    }
    return Filter::Bicubic;
}

// Output pixels [x0, x1) x [y0, y1) of an out_width x out_height resize.
struct Window {
    int x0, y0, x1, y1;
    int width() const { return x1 - x0; }
    int height() const { return y1 - y0; }
};

// Interleaved 8-bit samples, `channels` per pixel (Pillow's 8bpc path, any band count).
std::vector<uint8_t> resize8(const uint8_t* pixels, int width, int height, int channels, int out_width, int out_height,
                             Filter filter, Window window);

// One 16-bit channel (Pillow's I;16 path: double accumulation, round, clip to 16 bits).
std::vector<uint16_t> resize16(const uint16_t* pixels, int width, int height, int out_width, int out_height,
                               Filter filter, Window window);

}  // namespace cliprt::resample
