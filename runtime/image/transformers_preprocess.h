// transformers' CLIPImageProcessor steps (image_preprocess_transformers.cpp), called by the
// preprocessing entry points when PreprocessConfig::semantics is Transformers.
#pragma once

#include <cstdint>
#include <vector>

#include "cliprt/image.h"
#include "image/image_resize.h"

namespace cliprt {

// Where a width x height image goes: the resize size, the part of it kept, and where that lands in
// the out_width x out_height output (zero padding elsewhere).
struct TransformersPlan {
    int resized_width, resized_height;
    resample::Window window;
    int offset_x, offset_y;
    int out_width, out_height;
};

// Throws Error when the result would not be config.height x config.width.
TransformersPlan plan_transformers(int width, int height, const PreprocessConfig& config);
std::vector<uint8_t> transformers_to_rgb8(const Image& image, const PreprocessConfig& config);
Tensor transformers_normalize(const std::vector<uint8_t>& rgb, int height, int width, const PreprocessConfig& config);

}  // namespace cliprt
