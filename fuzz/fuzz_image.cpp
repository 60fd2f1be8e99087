// libFuzzer: image decoding (PNG, JPEG, GIF, BMP, TGA headers and stb_image) and open_clip's eval
// preprocessing of what decodes. Images whose decode would cost more than 64 MiB are skipped (the
// library admits up to kMaxDecodeBytes, more than a fuzzer's memory limit is worth spending).
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
        if (format::decode_cost_bytes(f, format::inspect(f, data, size, name)) > (int64_t{64} << 20)) return 0;
        const cliprt::Image image = cliprt::decode_image(data, size, name);
        cliprt::PreprocessConfig config;
        config.height = config.width = 16;
        config.resize_mode =
            size > 0 && (data[size - 1] & 1) ? cliprt::ResizeMode::Longest : cliprt::ResizeMode::Shortest;
        cliprt::preprocess_image(image, config);
    } catch (const cliprt::Error&) {
    }
    return 0;
}
