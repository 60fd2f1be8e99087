#include "cpu_fast/cpu_fast_packing.h"

#include <sys/mman.h>
#include <unistd.h>

#include <tuple>

#include "cliprt/dtype.h"

namespace cliprt::cpu_fast {

namespace {

int64_t padded_pairs(int64_t k) { return ((k + 1) / 2 + 15) / 16 * 16; }

}  // namespace

GemmB PackedWeights::gemm_b() const { return GemmB{f32.data(), k * nr, nr}; }

GemmBf16B PackedWeights::gemm_bf16_b() const {
    if (format == WeightFormat::Bf16Pairs || format == WeightFormat::Bf16Amx)
        return GemmBf16B{bf16.data(), padded_pairs(k) * 2 * nr, 2 * nr, true};
    return GemmBf16B{bf16.data(), k * nr, nr, false};
}

PackedWeights pack_weights(const float* w, int64_t n, int64_t k, int nr, WeightFormat format) {
    PackedWeights p;
    p.n = n;
    p.k = k;
    p.nr = nr;
    p.format = format;
    const int64_t panels = (n + nr - 1) / nr;
    auto at = [&](int64_t col, int64_t kk) { return col < n && kk < k ? w[col * k + kk] : 0.0f; };
    if (format == WeightFormat::F32) {
        p.f32.resize(static_cast<size_t>(panels * k * nr));
        for (int64_t pn = 0; pn < panels; ++pn) {
            float* panel = p.f32.data() + pn * k * nr;
            for (int64_t kk = 0; kk < k; ++kk) {
                for (int j = 0; j < nr; ++j) panel[kk * nr + j] = at(pn * nr + j, kk);
            }
        }
    } else if (format == WeightFormat::Bf16) {
        p.bf16.resize(static_cast<size_t>(panels * k * nr));
        for (int64_t pn = 0; pn < panels; ++pn) {
            uint16_t* panel = p.bf16.data() + pn * k * nr;
            for (int64_t kk = 0; kk < k; ++kk) {
                for (int j = 0; j < nr; ++j) panel[kk * nr + j] = f32_to_bf16(at(pn * nr + j, kk));
            }
        }
    } else {
        const int64_t kpairs = padded_pairs(k);
        p.bf16.resize(static_cast<size_t>(panels * kpairs * 2 * nr));
        for (int64_t pn = 0; pn < panels; ++pn) {
            uint16_t* panel = p.bf16.data() + pn * kpairs * 2 * nr;
            for (int64_t kp = 0; kp < kpairs; ++kp) {
                for (int j = 0; j < nr; ++j) {
                    panel[kp * 2 * nr + 2 * j] = f32_to_bf16(at(pn * nr + j, 2 * kp));
                    panel[kp * 2 * nr + 2 * j + 1] = f32_to_bf16(at(pn * nr + j, 2 * kp + 1));
                }
            }
        }
    }
    return p;
}

bool PackCache::Key::operator<(const Key& o) const {
    return std::tie(buffer_id, offset, n, k, nr, format) < std::tie(o.buffer_id, o.offset, o.n, o.k, o.nr, o.format);
}

namespace {

// Once packed, this backend never reads a weight's source again, so its whole pages go back to
// the kernel: a checkpoint's weights are viewed in its file mapping (Tensor::view), whose clean
// pages then leave memory (read again from the file if something else touches them), and the
// packed copy is the only one kept. Other memory keeps its contents (at most it is swapped out).
void release_source_pages(const void* source, size_t bytes) {
#if defined(__linux__) && defined(MADV_PAGEOUT)
    const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(source) + page - 1) / page * page;
    const uintptr_t end = (reinterpret_cast<uintptr_t>(source) + bytes) / page * page;
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_PAGEOUT);  // a hint only
#else
    (void)source;
    (void)bytes;
#endif
}

}  // namespace

template <typename Make>
std::shared_ptr<const PackedWeights> PackCache::find_or_make(const Key& key, const float* source, Make&& make) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
    auto packed = std::make_shared<const PackedWeights>(make());
    entries_.emplace(key, packed);
    release_source_pages(source, static_cast<size_t>(key.n * key.k) * sizeof(float));
    return packed;
}

std::shared_ptr<const PackedWeights> PackCache::get(uint64_t buffer_id, uint64_t offset, const float* w, int64_t n,
                                                    int64_t k, int nr, WeightFormat format) {
    return find_or_make(Key{buffer_id, offset, n, k, nr, format}, w, [&] { return pack_weights(w, n, k, nr, format); });
}

std::shared_ptr<const PackedWeights> PackCache::get_conv_taps(uint64_t buffer_id, uint64_t offset, const float* w,
                                                              int64_t out_c, int64_t in_c, int64_t taps, int nr) {
    const int64_t k = taps * in_c;
    return find_or_make(Key{buffer_id, offset, out_c, k, nr, WeightFormat::F32ConvTaps}, w, [&] {
        std::vector<float> taps_last(static_cast<size_t>(out_c * k));
        for (int64_t o = 0; o < out_c; ++o)
            for (int64_t c = 0; c < in_c; ++c)
                for (int64_t t = 0; t < taps; ++t) taps_last[o * k + t * in_c + c] = w[(o * in_c + c) * taps + t];
        PackedWeights p = pack_weights(taps_last.data(), out_c, k, nr, WeightFormat::F32);
        p.format = WeightFormat::F32ConvTaps;
        return p;
    });
}

namespace {

// Winograd's G (points x 3) for F(2x2, 3x3) and F(4x4, 3x3).
constexpr double kWinogradG2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr double kWinogradG4[6][3] = {{1.0 / 4, 0, 0},
                                      {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                      {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                      {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                      {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                      {0, 0, 1}};

}  // namespace

std::shared_ptr<const PackedWeights> PackCache::get_winograd(uint64_t buffer_id, uint64_t offset, const float* w,
                                                             int64_t out_c, int64_t in_c, int nr, int m) {
    // Keyed by the source's size (out_c x 9 in_c floats, which the pages released are measured by).
    const WeightFormat format = m == 4 ? WeightFormat::F32Winograd4 : WeightFormat::F32Winograd2;
    return find_or_make(Key{buffer_id, offset, out_c, 9 * in_c, nr, format}, w, [&] {
        const int n = m + 2;
        const double* g_matrix = m == 4 ? &kWinogradG4[0][0] : &kWinogradG2[0][0];
        const int64_t padded_out = (out_c + nr - 1) / nr * nr;  // each matrix in whole panels
        std::vector<float> u(static_cast<size_t>(n * n * padded_out * in_c));
        for (int64_t o = 0; o < out_c; ++o) {
            for (int64_t c = 0; c < in_c; ++c) {
                const float* g = w + (o * in_c + c) * 9;
                double gg[6][3];  // G g
                for (int r = 0; r < n; ++r)
                    for (int q = 0; q < 3; ++q)
                        gg[r][q] =
                            g_matrix[r * 3] * g[q] + g_matrix[r * 3 + 1] * g[3 + q] + g_matrix[r * 3 + 2] * g[6 + q];
                for (int r = 0; r < n; ++r) {
                    for (int q = 0; q < n; ++q) {  // (G g G^T)[r][q]
                        const double value = gg[r][0] * g_matrix[q * 3] + gg[r][1] * g_matrix[q * 3 + 1] +
                                             gg[r][2] * g_matrix[q * 3 + 2];
                        u[static_cast<size_t>(((n * r + q) * padded_out + o) * in_c + c)] = static_cast<float>(value);
                    }
                }
            }
        }
        PackedWeights p = pack_weights(u.data(), n * n * padded_out, in_c, nr, WeightFormat::F32);
        p.format = format;
        return p;
    });
}

std::shared_ptr<const PackedWeights> PackCache::get_amx_rows(uint64_t buffer_id, uint64_t offset, const float* w,
                                                             int64_t rows, int64_t k, const Kernels& kernels) {
    const Key key{buffer_id, offset, rows, k, kernels.gemm_mr, WeightFormat::Bf16AmxRows};
    return find_or_make(key, w, [&] {
        PackedWeights p;
        p.n = rows;
        p.k = k;
        p.nr = kernels.gemm_mr;
        p.format = WeightFormat::Bf16AmxRows;
        const int64_t padded = (rows + kernels.amx_rows - 1) / kernels.amx_rows * kernels.amx_rows;
        p.bf16.resize(static_cast<size_t>(kernels.packed_a_amx_values(rows, k)));
        kernels.pack_a_amx(w, k, rows, k, 0, padded, p.bf16.data());
        return p;
    });
}

void PackCache::drop_buffer(uint64_t buffer_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
        it = it->first.buffer_id == buffer_id ? entries_.erase(it) : std::next(it);
    }
}

uint64_t PackCache::bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    uint64_t total = 0;
    for (const auto& [key, packed] : entries_) total += packed->bytes();
    return total;
}

}  // namespace cliprt::cpu_fast
