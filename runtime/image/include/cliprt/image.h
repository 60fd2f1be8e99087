// Image decoding and the models' eval preprocessing, reproducing what the model's own library
// computes with Pillow: open_clip's (torchvision Resize with Pillow's resampling, exact to the bit,
// and CenterCrop, or the squash / longest variants, conversion to RGB after resizing, /255 and
// mean/std normalization) or transformers' CLIPImageProcessor (conversion to RGB first, transparency
// composited on white, Pillow resize, floored crop offsets, rescale and normalize).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cliprt/tensor.h"

namespace cliprt {

// The pixel layout an image has once decoded, named after the Pillow mode it corresponds to.
// open_clip resizes before converting to RGB, so the mode decides how an image is resampled:
// P and 1 with NEAREST, RGBA and LA with premultiplied alpha, I16 in 16 bits.
enum class PixelMode {
    One,  // bilevel, stored 0 / 255 in one channel
    L,    // 8-bit gray
    LA,   // gray + alpha
    P,    // palette; stored as the RGB colors of its entries
    RGB,
    RGBA,
    I16,   // 16-bit gray; converts to RGB by clipping at 255, as Pillow's I;16 -> RGB does
    CMYK,  // a 4-component JPEG, as Pillow holds it (Adobe's inverted samples inverted back)
};

int pixel_mode_channels(PixelMode mode);
const char* pixel_mode_name(PixelMode mode);  // Pillow's name: "1", "L", "LA", "P", "RGB", "RGBA", "I;16"

struct Image {
    int width = 0;
    int height = 0;
    PixelMode mode = PixelMode::RGB;
    std::vector<uint8_t> pixels;     // interleaved, pixel_mode_channels(mode) per pixel (not for I16)
    std::vector<uint16_t> pixels16;  // I16 only
    std::vector<uint8_t> palette;    // P only: the RGB triplets of the palette entries
    // The transparency of an image without an alpha channel (PNG tRNS of P, 1, L, I;16, RGB; a
    // GIF's transparency index): the alpha of each pixel as Pillow's convert("RGBA") gives it
    // (palette alphas, 0 where the pixel is the transparent color); empty without one. open_clip
    // ignores it (it converts to RGB); transformers composites on white.
    std::vector<uint8_t> alpha;
};

// Pillow's decompression-bomb limit: images with more pixels are refused.
constexpr int64_t kMaxImagePixels = 2 * 89478485;
// The most memory one decode may need, estimated from the headers before decoding (pixels times
// the bytes stb_image and the mode conversion hold per pixel: more for 16-bit samples, a GIF's whole
// canvas several times). Refuses small files that expand to gigabytes under the pixel limit; admits
// 8-bit photos up to about 70 megapixels. Files larger than this are refused before being read.
constexpr int64_t kMaxDecodeBytes = int64_t{1} << 30;

// Decodes PNG (also 16-bit, palette, interlaced), JPEG (baseline and progressive; gray and YCbCr),
// BMP, GIF (first frame) and TGA with stb_image, and CMYK / YCCK JPEGs with libjpeg (Pillow's
// decoder, which stb_image cannot replace there: it converts to RGB itself), into the mode Pillow
// would open the file in.
// Empty, truncated, zero-sized, oversized (pixels or decode cost) and unknown files throw Error
// naming `name`. decode_image_file checks the format from the first bytes and the file size before
// reading the file.
Image decode_image(const uint8_t* data, size_t size, const std::string& name);
Image decode_image_file(const std::string& path);

enum class ResizeMode { Shortest, Longest, Squash };
enum class Interpolation { Bicubic, Bilinear, Nearest };

// Whose eval transform a PreprocessConfig describes.
enum class PreprocessSemantics { OpenClip, Transformers };
const char* preprocess_semantics_name(PreprocessSemantics semantics);  // "open_clip", "transformers"

// transformers' CLIPImageProcessor (preprocessor_config.json) with its Pillow backend:
// convert_to_rgb (via RGBA, alpha-composited on white), resize (shortest_edge: the short side
// becomes it and the long one int(size * long / short); else exactly resize_height x resize_width)
// with Pillow's filter, center crop at ((H - h) // 2, (W - w) // 2), zero padding centred at
// ceil((h - H) / 2) when the image is smaller, then x * rescale_factor in double rounded to f32,
// and (x - mean) / std in f32. The mean and std are PreprocessConfig's.
struct TransformersImageSettings {
    bool convert_rgb = true;
    bool resize = true;
    int shortest_edge = 224;  // > 0: resize the short side; 0: resize to resize_height x resize_width
    int resize_height = 0, resize_width = 0;
    Interpolation resample = Interpolation::Bicubic;
    bool center_crop = true;
    int crop_height = 224, crop_width = 224;
    bool rescale = true;
    double rescale_factor = 1.0 / 255.0;
    bool normalize = true;
};

// open_clip's PreprocessCfg (eval): output size, mean/std, interpolation, resize mode, fill color.
struct PreprocessConfig {
    int height = 224;
    int width = 224;
    // OPENAI_DATASET_MEAN / _STD, rounded to f32 from the double constants as torch does.
    std::array<float, 3> mean = {static_cast<float>(0.48145466), static_cast<float>(0.4578275),
                                 static_cast<float>(0.40821073)};
    std::array<float, 3> std = {static_cast<float>(0.26862954), static_cast<float>(0.26130258),
                                static_cast<float>(0.27577711)};
    Interpolation interpolation = Interpolation::Bicubic;
    ResizeMode resize_mode = ResizeMode::Shortest;
    int fill_color = 0;  // padding value of resize mode longest
    // Transformers: height and width are the output size; the steps are in `transformers`, and the
    // fields above from interpolation on are not used.
    PreprocessSemantics semantics = PreprocessSemantics::OpenClip;
    TransformersImageSettings transformers;

    // From the JSON of an open_clip preprocess_cfg ({"size": 224 or [h, w], "mean": ..., "std": ...,
    // "interpolation": "bicubic", "resize_mode": "shortest", "fill_color": 0}); absent keys keep
    // the defaults above. Unknown values throw Error naming the key.
    static PreprocessConfig from_json(const std::string& json_text);
};

// The eval transform up to and including the conversion to RGB: height x width x 3 bytes, i.e.
// the PIL image open_clip hands to ToTensor (transformers: the cropped array before rescaling).
// Throws Error where the transform cannot make a height x width image.
std::vector<uint8_t> preprocess_to_rgb8(const Image& image, const PreprocessConfig& config);

// ToTensor and Normalize of an RGB byte image (transformers: rescale and normalize): f32 [3, height, width].
Tensor normalize_rgb8(const std::vector<uint8_t>& rgb, int height, int width, const PreprocessConfig& config);

// The whole eval transform: f32 [3, height, width].
Tensor preprocess_image(const Image& image, const PreprocessConfig& config);
Tensor preprocess_image_file(const std::string& path, const PreprocessConfig& config);

// Stacks [3, H, W] tensors of equal shape into [N, 3, H, W].
Tensor stack_images(const std::vector<Tensor>& images);

}  // namespace cliprt
