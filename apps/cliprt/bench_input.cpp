#include "bench_input.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "cliprt/synthetic_weights.h"

namespace cliprt::app {

Tensor bench_input(const ClipConfig& config, const std::string& tower, int batch) {
    if (tower == "image") {
        return synthetic_tensor("bench.image", Shape{batch, 3, config.vision.image_size, config.vision.image_width},
                                0.0, 1.0);
    }
    if (tower != "text") throw std::runtime_error("unknown tower '" + tower + "' (image or text)");
    const int64_t len = config.text.context_length;
    std::vector<int32_t> ids(static_cast<size_t>(batch * len), 0);
    for (int b = 0; b < batch; ++b) {
        int32_t* row = ids.data() + b * len;
        const int64_t words = std::min<int64_t>(len - 2, 8 + b % 5);
        row[0] = 49406;
        for (int64_t i = 1; i <= words; ++i) row[i] = static_cast<int32_t>(320 + (i * 97 + b) % 40000);
        row[words + 1] = 49407;
    }
    return Tensor::from_i32(Shape{batch, len}, ids);
}

}  // namespace cliprt::app
