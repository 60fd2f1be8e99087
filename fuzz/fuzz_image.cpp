// libFuzzer: image decoding (PNG, JPEG, GIF, BMP, TGA headers and stb_image) and open_clip's eval
// preprocessing of what decodes. Images whose decode would cost more than 1 MiB are skipped after
// their header and cost are checked, and only images of at most 16,384 pixels (128 x 128, or any
// other shape of that area) are preprocessed: the library admits up to kMaxDecodeBytes, but larger
// images run the same loops longer. With the comparisons traced for coverage, resampling took 60 %
// of the fuzzer's time at megapixel images (80 inputs/s) and 40 % at 256 x 256 (120 inputs/s).
#include <cstdint>
#include <string>

#include "cliprt/error.h"
#include "cliprt/image.h"
#include "image/image_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace format = cliprt::image_format;
    const std::string name = "fuzz.tga";  // formats with a signature by it, anything else as TGA
    try {
        const format::Format f = format::detect(data, size, name);
        if (format::decode_cost_bytes(f, format::inspect(f, data, size, name)) > (int64_t{1} << 20)) return 0;
        const cliprt::Image image = cliprt::decode_image(data, size, name);
        if (int64_t{image.width} * image.height > 128 * 128) return 0;
        cliprt::PreprocessConfig config;
        config.height = config.width = 16;
        config.resize_mode =
            size > 0 && (data[size - 1] & 1) ? cliprt::ResizeMode::Longest : cliprt::ResizeMode::Shortest;
        cliprt::preprocess_image(image, config);
    } catch (const cliprt::Error&) {
    }
    return 0;
}
