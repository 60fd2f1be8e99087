// Weights in the GEMM's panel layout, packed once when a program is recorded and shared by every
// program of the backend that uses the same weight tensor.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "cpu_fast/cpu_fast_kernels.h"

namespace cliprt::cpu_fast {

// Layout and precision of packed matrices: B panels in f32, bf16 or bf16 pairs (Linear; the pairs
// run on AVX512_BF16 dot products or, as Bf16Amx, on AMX tiles), f32 B panels of Conv2d weights
// with k in (kh, kw, c) order (the channels-last convolution's), or AMX's padded bf16 rows (the
// Conv2d weights that AMX multiplies as the left operand), or a 3x3 Conv2d's weights transformed
// for Winograd's F(2x2, 3x3) or F(4x4, 3x3) as 16 or 36 f32 matrices of B panels
// (PackCache::get_winograd).
enum class WeightFormat : uint8_t {
    F32,
    Bf16,
    Bf16Pairs,
    Bf16Amx,
    F32ConvTaps,
    Bf16AmxRows,
    F32Winograd2,
    F32Winograd4
};

// W [n, k] (Linear's layout: one row per output column) as column panels of nr columns, zero
// padded to whole panels: f32 rows of nr values per k, or bf16 (pairs of k per column for the
// AVX512_BF16 dot products and AMX, the pair count padded with zeros to a multiple of 16: one AMX
// B tile's rows).
struct PackedWeights {
    int64_t n = 0, k = 0;
    int nr = 0;
    WeightFormat format = WeightFormat::F32;
    std::vector<float> f32;
    std::vector<uint16_t> bf16;

    GemmB gemm_b() const;
    GemmBf16B gemm_bf16_b() const;
    uint64_t bytes() const { return f32.size() * sizeof(float) + bf16.size() * sizeof(uint16_t); }
};

PackedWeights pack_weights(const float* w, int64_t n, int64_t k, int nr, WeightFormat format);

// Packed weights by their source (buffer id and offset: ids are never reused, and a buffer drops
// its entries when it is freed), so graphs of several batch sizes built on one set of weights pack
// them once.
class PackCache {
public:
    std::shared_ptr<const PackedWeights> get(uint64_t buffer_id, uint64_t offset, const float* w, int64_t n, int64_t k,
                                             int nr, WeightFormat format);
    // Conv2d weights [out_c, in_c, kh, kw] as F32ConvTaps panels (k = taps * in_c).
    std::shared_ptr<const PackedWeights> get_conv_taps(uint64_t buffer_id, uint64_t offset, const float* w,
                                                       int64_t out_c, int64_t in_c, int64_t taps, int nr);
    // 3x3 Conv2d weights [out_c, in_c, 3, 3] for F(m x m, 3x3), m = 2 or 4: U[xi] = (G g G^T)[xi]
    // of each output and input channel's 3 x 3 kernel g, xi < (m + 2)^2, each [out_c, in_c] packed
    // like a Linear's weights; matrix xi's panels start at panel xi * ceil(out_c / nr).
    std::shared_ptr<const PackedWeights> get_winograd(uint64_t buffer_id, uint64_t offset, const float* w,
                                                      int64_t out_c, int64_t in_c, int nr, int m);
    // Conv2d weights [rows, k] as AMX rows (Bf16AmxRows).
    std::shared_ptr<const PackedWeights> get_amx_rows(uint64_t buffer_id, uint64_t offset, const float* w, int64_t rows,
                                                      int64_t k, const Kernels& kernels);
    void drop_buffer(uint64_t buffer_id);
    uint64_t bytes() const;

private:
    struct Key {
        uint64_t buffer_id, offset;
        int64_t n, k;
        int nr;
        WeightFormat format;
        bool operator<(const Key& o) const;
    };
    template <typename Make>
    std::shared_ptr<const PackedWeights> find_or_make(const Key& key, const float* source, Make&& make);

    mutable std::mutex mutex_;
    std::map<Key, std::shared_ptr<const PackedWeights>> entries_;
};

}  // namespace cliprt::cpu_fast
