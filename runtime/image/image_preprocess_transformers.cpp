// transformers' CLIPImageProcessor.preprocess with the Pillow backend (image_processing_clip.py,
// image_transforms.py): convert_to_rgb, resize, center_crop, rescale, normalize. Unlike open_clip,
// the conversion to RGB comes first, so transparency is composited on white and palette / bilevel
// images are resampled as RGB; the crop offset is floored. Only the kept window is resampled.
#include <algorithm>
#include <cmath>

#include "cliprt/error.h"
#include "cliprt/image.h"
#include "image/image_resize.h"
#include "image/pixel_convert.h"
#include "image/transformers_preprocess.h"

namespace cliprt {
namespace {

// convert_to_rgb: an image with an alpha band or transparency goes through convert("RGBA") and
// alpha_composite on an opaque white background, others through convert("RGB") (the same values
// as compositing opaque pixels).
std::vector<uint8_t> convert_to_rgb(const Image& image) {
    const size_t n = static_cast<size_t>(image.width) * image.height;
    if (image.mode == PixelMode::RGB && image.alpha.empty()) return image.pixels;
    std::vector<uint8_t> rgb(n * 3);
    const bool keyed = !image.alpha.empty();
    for (size_t i = 0; i < n; ++i) {
        uint8_t rgba[4] = {0, 0, 0, 255};
        switch (image.mode) {
            case PixelMode::One:
            case PixelMode::L:
                rgba[0] = rgba[1] = rgba[2] = image.pixels[i];
                break;
            case PixelMode::I16:  // I16_RGB: clipped at 255
                rgba[0] = rgba[1] = rgba[2] = static_cast<uint8_t>(std::min<uint16_t>(image.pixels16[i], 255));
                break;
            case PixelMode::LA:
                rgba[0] = rgba[1] = rgba[2] = image.pixels[i * 2];
                rgba[3] = image.pixels[i * 2 + 1];
                break;
            case PixelMode::P:
            case PixelMode::RGB:
                std::copy_n(&image.pixels[i * 3], 3, rgba);
                break;
            case PixelMode::RGBA:
                std::copy_n(&image.pixels[i * 4], 4, rgba);
                break;
            case PixelMode::CMYK:
                pixel::cmyk_to_rgb(&image.pixels[i * 4], rgba);
                break;
        }
        if (keyed) rgba[3] = image.alpha[i];
        pixel::composite_on_white(rgba, &rgb[i * 3]);
    }
    return rgb;
}

// center_crop along one axis of length `size` to `target`: the crop starts at (size - target) // 2
// (floored, also when negative); an image shorter than the target is first zero padded to it, with
// ceil((target - size) / 2) before.
struct CropAxis {
    int begin, end;  // kept range of the source axis
    int offset;      // where it lands in the output
};

CropAxis crop_axis(int size, int target) {
    if (target <= size) {
        const int begin = (size - target) / 2;
        return {begin, begin + target, 0};
    }
    // Python's top = (size - target) // 2 is -ceil((target - size) / 2): after padding the window
    // starts at 0 and keeps the whole padded axis.
    const int pad = (target - size + 1) / 2;
    return {0, size, pad};
}

}  // namespace

TransformersPlan plan_transformers(int width, int height, const PreprocessConfig& config) {
    const TransformersImageSettings& t = config.transformers;
    TransformersPlan plan{};
    plan.resized_width = width;
    plan.resized_height = height;
    if (t.resize) {
        if (t.shortest_edge > 0) {
            // get_resize_output_image_size(default_to_square=False): the long side is
            // int(size * long / short) in double precision.
            const int short_side = std::min(width, height), long_side = std::max(width, height);
            const int new_long = static_cast<int>(static_cast<double>(t.shortest_edge) * long_side / short_side);
            plan.resized_width = width <= height ? t.shortest_edge : new_long;
            plan.resized_height = width <= height ? new_long : t.shortest_edge;
        } else {
            plan.resized_width = t.resize_width;
            plan.resized_height = t.resize_height;
        }
        if (plan.resized_width < 1 || plan.resized_height < 1)
            fail("a ", width, "x", height, " image resizes to ", plan.resized_width, "x", plan.resized_height,
                 ": too thin for the image processor's resize");
    }
    plan.out_width = t.center_crop ? t.crop_width : plan.resized_width;
    plan.out_height = t.center_crop ? t.crop_height : plan.resized_height;
    if (plan.out_width != config.width || plan.out_height != config.height)
        fail("the image processor makes a ", plan.out_width, "x", plan.out_height, " image of this ", width, "x",
             height, " image but the model takes ", config.width, "x", config.height);
    const CropAxis x = crop_axis(plan.resized_width, plan.out_width);
    const CropAxis y = crop_axis(plan.resized_height, plan.out_height);
    plan.window = {x.begin, y.begin, x.end, y.end};
    plan.offset_x = x.offset;
    plan.offset_y = y.offset;
    return plan;
}

std::vector<uint8_t> transformers_to_rgb8(const Image& image, const PreprocessConfig& config) {
    const TransformersImageSettings& t = config.transformers;
    if (!t.convert_rgb && image.mode != PixelMode::RGB)
        fail("the image is in mode ", pixel_mode_name(image.mode),
             " and the image processor does not convert to RGB (do_convert_rgb is false)");
    const TransformersPlan plan = plan_transformers(image.width, image.height, config);
    const std::vector<uint8_t> rgb = convert_to_rgb(image);
    std::vector<uint8_t> kept;
    const bool resampled = plan.resized_width != image.width || plan.resized_height != image.height;
    if (resampled) {
        kept = resample::resize8(rgb.data(), image.width, image.height, 3, plan.resized_width, plan.resized_height,
                                 resample::filter_of(t.resample), plan.window);
    } else {
        // Pillow's resize to the same size is a copy; crop straight from the converted image.
        kept.resize(static_cast<size_t>(plan.window.width()) * plan.window.height() * 3);
        for (int y = 0; y < plan.window.height(); ++y) {
            const uint8_t* row = &rgb[((static_cast<size_t>(y) + plan.window.y0) * image.width + plan.window.x0) * 3];
            std::copy_n(row, static_cast<size_t>(plan.window.width()) * 3,
                        &kept[static_cast<size_t>(y) * plan.window.width() * 3]);
        }
    }
    std::vector<uint8_t> out(static_cast<size_t>(plan.out_width) * plan.out_height * 3, 0);
    for (int y = 0; y < plan.window.height(); ++y) {
        std::copy_n(&kept[static_cast<size_t>(y) * plan.window.width() * 3],
                    static_cast<size_t>(plan.window.width()) * 3,
                    &out[((static_cast<size_t>(y) + plan.offset_y) * plan.out_width + plan.offset_x) * 3]);
    }
    return out;
}

Tensor transformers_normalize(const std::vector<uint8_t>& rgb, int height, int width, const PreprocessConfig& config) {
    const TransformersImageSettings& t = config.transformers;
    const size_t plane = static_cast<size_t>(height) * width;
    if (rgb.size() != plane * 3) fail("RGB image of ", rgb.size(), " bytes is not ", width, "x", height, "x3");
    Tensor out(Shape{3, height, width}, DType::F32);
    float* values = out.f32();
    for (size_t i = 0; i < plane; ++i) {
        for (int c = 0; c < 3; ++c) {
            // rescale: image.astype(float64) * scale, then astype(float32); normalize in f32.
            float v = t.rescale ? static_cast<float>(static_cast<double>(rgb[i * 3 + c]) * t.rescale_factor)
                                : static_cast<float>(rgb[i * 3 + c]);
            if (t.normalize) v = (v - config.mean[c]) / config.std[c];
            values[c * plane + i] = v;
        }
    }
    return out;
}

}  // namespace cliprt
