// open_clip's eval transform (open_clip/transform.py image_transform, is_train=False):
//   shortest: Resize(size) [or ResizeKeepRatio(size) for a non-square size], CenterCrop(size)
//   longest:  ResizeKeepRatio(size, longest=1), CenterCropOrPad(size, fill=fill_color)
//   squash:   Resize((h, w))
// then MaybeConvertMode (RGB), ToTensor, Normalize. Resizing and padding happen in the decoded
// image's mode, as Pillow does them, and the crop only computes the pixels it keeps. Configs with
// transformers' semantics go to image_preprocess_transformers.cpp.
#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <tuple>

#include "cliprt/error.h"
#include "cliprt/image.h"
#include "image/image_resize.h"
#include "image/pixel_convert.h"
#include "image/transformers_preprocess.h"

namespace cliprt {
namespace {

// Python's int(round(x / 2.0)) for an integer x >= 0: halves round to even.
int half_rounded_to_even(int x) {
    int q = x / 2;
    return (x % 2 == 1 && q % 2 == 1) ? q + 1 : q;
}

// Where one axis of the resized image lands in the output: torchvision's center_crop (and
// open_clip's center_crop_or_pad) pads a short axis by (T - R) // 2 before, else crops from
// round((R - T) / 2).
struct Axis {
    int source_begin, source_end;  // kept range of the resized axis
    int offset;                    // its position in the output
};

Axis place(int resized, int target) {
    if (target > resized) return {0, resized, (target - resized) / 2};
    int begin = half_rounded_to_even(resized - target);
    return {begin, begin + target, 0};
}

struct Plan {
    int resized_width, resized_height;
    resample::Filter filter;
    Axis x, y;
};

// ResizeKeepRatio.get_params: ratio between the shortest (longest = 0) or longest (longest = 1)
// edge ratios, sizes round(x / ratio) with Python's round.
std::pair<int, int> keep_ratio_size(const Image& image, const PreprocessConfig& config, double longest) {
    double ratio_h = static_cast<double>(image.height) / config.height;
    double ratio_w = static_cast<double>(image.width) / config.width;
    double ratio = std::max(ratio_h, ratio_w) * longest + std::min(ratio_h, ratio_w) * (1.0 - longest);
    return {static_cast<int>(std::nearbyint(image.width / ratio)),
            static_cast<int>(std::nearbyint(image.height / ratio))};
}

Plan plan_for(const Image& image, const PreprocessConfig& config) {
    Plan plan{};
    plan.filter = resample::filter_of(config.interpolation);
    int w = image.width, h = image.height;
    switch (config.resize_mode) {
        case ResizeMode::Squash:
            plan.resized_width = config.width, plan.resized_height = config.height;
            break;
        case ResizeMode::Shortest:
            if (config.height == config.width) {
                // torchvision Resize(int): the short edge becomes size, the long one
                // int(size * long / short).
                int size = config.width, short_edge = std::min(w, h), long_edge = std::max(w, h);
                int new_long = static_cast<int>(static_cast<double>(int64_t{size} * long_edge) / short_edge);
                plan.resized_width = w <= h ? size : new_long;
                plan.resized_height = w <= h ? new_long : size;
            } else {
                // open_clip builds ResizeKeepRatio(image_size) here without its interpolation.
                std::tie(plan.resized_width, plan.resized_height) = keep_ratio_size(image, config, 0.0);
                plan.filter = resample::Filter::Bicubic;
            }
            break;
        case ResizeMode::Longest:
            std::tie(plan.resized_width, plan.resized_height) = keep_ratio_size(image, config, 1.0);
            break;
    }
    if (plan.resized_width < 1 || plan.resized_height < 1) {
        fail("a ", w, "x", h, " image resizes to ", plan.resized_width, "x", plan.resized_height, " for ", config.width,
             "x", config.height, ": too thin for this resize mode");
    }
    if (image.mode == PixelMode::P || image.mode == PixelMode::One) plan.filter = resample::Filter::Nearest;
    plan.x = place(plan.resized_width, config.width);
    plan.y = place(plan.resized_height, config.height);
    return plan;
}

// Pillow's RGBA -> RGBa / LA -> La before resampling and back after (Convert.c).
void premultiply(std::vector<uint8_t>& pixels, int channels) {
    for (size_t p = 0; p < pixels.size(); p += channels) {
        uint8_t alpha = pixels[p + channels - 1];
        for (int c = 0; c < channels - 1; ++c) pixels[p + c] = pixel::muldiv255(pixels[p + c], alpha);
    }
}

void unpremultiply(std::vector<uint8_t>& pixels, int channels) {
    for (size_t p = 0; p < pixels.size(); p += channels) {
        int alpha = pixels[p + channels - 1];
        if (alpha == 255 || alpha == 0) continue;
        for (int c = 0; c < channels - 1; ++c)
            pixels[p + c] = static_cast<uint8_t>(std::min(255 * pixels[p + c] / alpha, 255));
    }
}

// The kept part of the resized image, still in the image's mode (I16 widened into `wide`).
struct Kept {
    std::vector<uint8_t> pixels;
    std::vector<uint16_t> wide;
};

Kept resize_kept(const Image& image, const Plan& plan) {
    resample::Window window{plan.x.source_begin, plan.y.source_begin, plan.x.source_end, plan.y.source_end};
    Kept kept;
    if (image.mode == PixelMode::I16) {
        kept.wide = resample::resize16(image.pixels16.data(), image.width, image.height, plan.resized_width,
                                       plan.resized_height, plan.filter, window);
        return kept;
    }
    int channels = pixel_mode_channels(image.mode);
    bool alpha = image.mode == PixelMode::RGBA || image.mode == PixelMode::LA;
    bool resampled = plan.resized_width != image.width || plan.resized_height != image.height;
    bool premultiplied = alpha && resampled && plan.filter != resample::Filter::Nearest;
    const std::vector<uint8_t>* source = &image.pixels;
    std::vector<uint8_t> premultiplied_pixels;
    if (premultiplied) {
        premultiplied_pixels = image.pixels;
        premultiply(premultiplied_pixels, channels);
        source = &premultiplied_pixels;
    }
    kept.pixels = resample::resize8(source->data(), image.width, image.height, channels, plan.resized_width,
                                    plan.resized_height, plan.filter, window);
    if (premultiplied) unpremultiply(kept.pixels, channels);
    return kept;
}

// The RGB color of padding: the fill value in the image's mode, converted as its pixels are.
std::array<uint8_t, 3> fill_rgb(const Image& image, int fill) {
    if (image.mode == PixelMode::P) {
        size_t at = static_cast<size_t>(fill) * 3;
        if (fill >= 0 && at + 2 < image.palette.size())
            return {image.palette[at], image.palette[at + 1], image.palette[at + 2]};
        return {0, 0, 0};
    }
    auto v = static_cast<uint8_t>(std::clamp(fill, 0, 255));
    if (image.mode == PixelMode::One) v = fill ? 255 : 0;
    if (image.mode == PixelMode::CMYK) {
        const uint8_t cmyk[4] = {v, v, v, v};
        std::array<uint8_t, 3> rgb{};
        pixel::cmyk_to_rgb(cmyk, rgb.data());
        return rgb;
    }
    return {v, v, v};
}

}  // namespace

const char* preprocess_semantics_name(PreprocessSemantics semantics) {
    return semantics == PreprocessSemantics::Transformers ? "transformers" : "open_clip";
}

std::vector<uint8_t> preprocess_to_rgb8(const Image& image, const PreprocessConfig& config) {
    if (image.width < 1 || image.height < 1) fail("cannot preprocess an empty image");
    if (config.width < 1 || config.height < 1)
        fail("preprocess size must be positive, got ", config.width, "x", config.height);
    if (config.semantics == PreprocessSemantics::Transformers) return transformers_to_rgb8(image, config);
    Plan plan = plan_for(image, config);
    // Padding exists only in resize mode longest (fill_color) and, in theory, CenterCrop (0).
    std::array<uint8_t, 3> fill = fill_rgb(image, config.resize_mode == ResizeMode::Longest ? config.fill_color : 0);
    std::vector<uint8_t> rgb(static_cast<size_t>(config.width) * config.height * 3);
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = fill[i % 3];

    Kept kept = resize_kept(image, plan);
    int kept_width = plan.x.source_end - plan.x.source_begin, kept_height = plan.y.source_end - plan.y.source_begin;
    int channels = pixel_mode_channels(image.mode);
    for (int y = 0; y < kept_height; ++y) {
        for (int x = 0; x < kept_width; ++x) {
            size_t src = static_cast<size_t>(y) * kept_width + x;
            uint8_t* dst = &rgb[((static_cast<size_t>(y) + plan.y.offset) * config.width + x + plan.x.offset) * 3];
            if (image.mode == PixelMode::I16) {
                // Pillow's I;16 -> RGB clips instead of scaling.
                uint8_t v = static_cast<uint8_t>(std::min<uint16_t>(kept.wide[src], 255));
                dst[0] = dst[1] = dst[2] = v;
            } else if (image.mode == PixelMode::CMYK) {
                pixel::cmyk_to_rgb(&kept.pixels[src * 4], dst);  // Pillow's convert("RGB") after the resize
            } else if (channels >= 3) {
                for (int c = 0; c < 3; ++c) dst[c] = kept.pixels[src * channels + c];
            } else {
                dst[0] = dst[1] = dst[2] = kept.pixels[src * channels];
            }
        }
    }
    return rgb;
}

Tensor normalize_rgb8(const std::vector<uint8_t>& rgb, int height, int width, const PreprocessConfig& config) {
    if (config.semantics == PreprocessSemantics::Transformers)
        return transformers_normalize(rgb, height, width, config);
    size_t plane = static_cast<size_t>(height) * width;
    if (rgb.size() != plane * 3) fail("RGB image of ", rgb.size(), " bytes is not ", width, "x", height, "x3");
    Tensor out(Shape{3, height, width}, DType::F32);
    float* values = out.f32();
    for (size_t i = 0; i < plane; ++i) {
        for (int c = 0; c < 3; ++c) {
            // ToTensor divides in f32; Normalize subtracts and divides by f32 mean and std.
            float v = static_cast<float>(rgb[i * 3 + c]) / 255.0f;
            values[c * plane + i] = (v - config.mean[c]) / config.std[c];
        }
    }
    return out;
}

Tensor preprocess_image(const Image& image, const PreprocessConfig& config) {
    return normalize_rgb8(preprocess_to_rgb8(image, config), config.height, config.width, config);
}

Tensor preprocess_image_file(const std::string& path, const PreprocessConfig& config) {
    return preprocess_image(decode_image_file(path), config);
}

Tensor stack_images(const std::vector<Tensor>& images) {
    if (images.empty()) fail("stack_images needs at least one image");
    const Shape& shape = images.front().shape();
    std::vector<float> values;
    values.reserve(images.size() * images.front().numel());
    for (const Tensor& image : images) {
        if (image.shape() != shape || image.dtype() != DType::F32) {
            fail("stack_images: image of shape ", image.shape(), " does not match ", shape, " f32");
        }
        values.insert(values.end(), image.f32(), image.f32() + image.numel());
    }
    std::vector<int64_t> dims{static_cast<int64_t>(images.size())};
    dims.insert(dims.end(), shape.dims().begin(), shape.dims().end());
    return Tensor::from_f32(Shape(dims), std::move(values));
}

PreprocessConfig PreprocessConfig::from_json(const std::string& json_text) {
    PreprocessConfig config;
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& e) {
        fail("preprocess config is not valid JSON: ", e.what());
    }
    if (!json.is_object()) fail("preprocess config must be a JSON object");
    auto triple = [&](const char* key, std::array<float, 3>& out) {
        const auto& v = json[key];
        if (v.is_number()) {
            out.fill(static_cast<float>(v.get<double>()));
        } else if (v.is_array() && v.size() == 3) {
            for (int c = 0; c < 3; ++c) out[c] = static_cast<float>(v[c].get<double>());
        } else {
            fail("preprocess config: \"", key, "\" must be a number or three numbers, got ", v.dump());
        }
    };
    try {
        if (json.contains("size") && !json["size"].is_null()) {
            const auto& size = json["size"];
            if (size.is_number_integer()) {
                config.height = config.width = size.get<int>();
            } else if (size.is_array() && size.size() == 2) {
                config.height = size[0].get<int>();
                config.width = size[1].get<int>();
            } else {
                fail("preprocess config: \"size\" must be an integer or [height, width], got ", size.dump());
            }
        }
        if (json.contains("mean") && !json["mean"].is_null()) triple("mean", config.mean);
        if (json.contains("std") && !json["std"].is_null()) triple("std", config.std);
        if (json.contains("interpolation") && !json["interpolation"].is_null()) {
            std::string v = json["interpolation"];
            // open_clip maps "random" (a training option) to bicubic for evaluation.
            if (v == "bicubic" || v == "random") {
                config.interpolation = Interpolation::Bicubic;
            } else if (v == "bilinear") {
                config.interpolation = Interpolation::Bilinear;
            } else {
                fail("preprocess config: unknown \"interpolation\" \"", v, "\" (bicubic, bilinear)");
            }
        }
        if (json.contains("resize_mode") && !json["resize_mode"].is_null()) {
            std::string v = json["resize_mode"];
            if (v == "shortest") {
                config.resize_mode = ResizeMode::Shortest;
            } else if (v == "longest") {
                config.resize_mode = ResizeMode::Longest;
            } else if (v == "squash") {
                config.resize_mode = ResizeMode::Squash;
            } else {
                fail("preprocess config: unknown \"resize_mode\" \"", v, "\" (shortest, longest, squash)");
            }
        }
        if (json.contains("fill_color") && !json["fill_color"].is_null()) config.fill_color = json["fill_color"];
        if (json.contains("mode") && !json["mode"].is_null() && json["mode"] != "RGB") {
            fail("preprocess config: only \"mode\": \"RGB\" is supported, got ", json["mode"].dump());
        }
    } catch (const nlohmann::json::exception& e) {
        fail("preprocess config: ", e.what());
    }
    if (config.height < 1 || config.width < 1) fail("preprocess config: size must be positive");
    return config;
}

}  // namespace cliprt
