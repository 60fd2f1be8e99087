// The inputs `cliprt bench` and `cliprt profile` feed a tower: synthetic images, or token ids of
// plausible captions (start, 8-12 words, end, padding), the same for every run.
#pragma once

#include <string>

#include "cliprt/tensor.h"
#include "models/model_config.h"

namespace cliprt::app {

// tower: "image" or "text"; throws for anything else.
Tensor bench_input(const ClipConfig& config, const std::string& tower, int batch);

}  // namespace cliprt::app
