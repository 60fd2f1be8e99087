// Bounds of the integer keys of every model config (open_clip, Hugging Face CLIP and encoders):
// far beyond any released model, small enough that no product of them overflows the graph's
// int64 shapes.
#pragma once

namespace cliprt::config_bounds {

constexpr int kMaxWidth = 1 << 16;
constexpr int kMaxLayers = 1024;
constexpr int kMaxHeads = 1024;
constexpr int kMaxImageSize = 1 << 14;
constexpr int kMaxContext = 1 << 14;
constexpr int kMaxVocab = 1 << 24;
constexpr int kMaxPositions = 1 << 16;

}  // namespace cliprt::config_bounds
