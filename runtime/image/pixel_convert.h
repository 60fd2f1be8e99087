// Pillow's per-pixel arithmetic (libImaging/Convert.c, AlphaComposite.c) shared by both
// preprocessing semantics.
#pragma once

#include <cstdint>

namespace cliprt::pixel {

// a * b / 255 rounded, as Pillow's MULDIV255.
inline uint8_t muldiv255(uint32_t a, uint32_t b) {
    uint32_t tmp = a * b + 128;
    return static_cast<uint8_t>((tmp + (tmp >> 8)) >> 8);
}

// cmyk2rgb: each of R, G, B is (255 - K) - C * (255 - K) / 255.
inline void cmyk_to_rgb(const uint8_t* cmyk, uint8_t* rgb) {
    const uint32_t nk = 255u - cmyk[3];
    for (int c = 0; c < 3; ++c) rgb[c] = static_cast<uint8_t>(nk - muldiv255(cmyk[c], nk));
}

// Image.alpha_composite(white, rgba) then convert("RGB"): 7 extra bits of precision, rounded
// divisions by 255; a fully transparent pixel is the background's white.
inline void composite_on_white(const uint8_t* rgba, uint8_t* rgb) {
    const uint32_t a = rgba[3];
    if (a == 0) {
        rgb[0] = rgb[1] = rgb[2] = 255;
        return;
    }
    constexpr uint32_t kPrecisionBits = 7;
    const uint32_t blend = 255 * (255 - a);
    const uint32_t outa255 = a * 255 + blend;
    const uint32_t coef1 = a * 255 * 255 * (1u << kPrecisionBits) / outa255;
    const uint32_t coef2 = 255 * (1u << kPrecisionBits) - coef1;
    for (int c = 0; c < 3; ++c) {
        const uint32_t tmp = rgba[c] * coef1 + 255 * coef2 + (0x80u << kPrecisionBits);
        rgb[c] = static_cast<uint8_t>((((tmp >> 8) + tmp) >> 8) >> kPrecisionBits);
    }
}

}  // namespace cliprt::pixel
