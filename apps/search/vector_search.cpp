#include "search/vector_search.h"

#include <algorithm>
#include <queue>
#include <thread>

#include "cliprt/dtype.h"
#include "cliprt/error.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define CLIPRT_SEARCH_X86 1
#endif

namespace cliprt::search {

namespace {

// Portable kernels: four independent sums so the compiler need not reassociate one long chain.
float dot_f32_portable(const float* a, const float* b, size_t n) {
    float s[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (int j = 0; j < 4; ++j) s[j] += a[i + j] * b[i + j];
    }
    for (; i < n; ++i) s[0] += a[i] * b[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

float dot_f16_portable(const uint16_t* a, const float* b, size_t n) {
    float s[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (int j = 0; j < 4; ++j) s[j] += f16_to_f32(a[i + j]) * b[i + j];
    }
    for (; i < n; ++i) s[0] += f16_to_f32(a[i]) * b[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

#ifdef CLIPRT_SEARCH_X86
// AVX2 + FMA (+ F16C for half rows), chosen at run time so the binary still runs on older CPUs.
__attribute__((target("avx2,fma"))) float hsum256(__m256 v) {
    const __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float dot_f32_avx2(const float* a, const float* b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; ++i) s += a[i] * b[i];
    return s;
}

__attribute__((target("avx2,fma,f16c"))) float dot_f16_avx2(const uint16_t* a, const float* b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 a0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
        const __m256 a1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i + 8)));
        s0 = _mm256_fmadd_ps(a0, _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(a1, _mm256_loadu_ps(b + i + 8), s1);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; ++i) s += f16_to_f32(a[i]) * b[i];
    return s;
}

bool have_avx2() {
    static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return yes;
}
bool have_f16c() {
    // CPUID leaf 1, ECX bit 29 (clang's __builtin_cpu_supports has no "f16c").
    static const bool yes = [] {
        unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
        return have_avx2() && __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
    }();
    return yes;
}
#endif

float dot_f16(const uint16_t* a, const float* b, size_t n) {
#ifdef CLIPRT_SEARCH_X86
    if (have_f16c()) return dot_f16_avx2(a, b, n);
#endif
    return dot_f16_portable(a, b, n);
}

// Ordering of hits: higher score first, then lower row.
bool better(const Hit& a, const Hit& b) { return a.score > b.score || (a.score == b.score && a.row < b.row); }

// The best k of rows [begin, end), via a bounded heap whose top is the worst kept hit.
std::vector<Hit> top_k_range(const EmbeddingMatrix& m, const float* query, size_t begin, size_t end, size_t k) {
    constexpr size_t kChunk = 1024;
    std::vector<float> scores(kChunk);
    std::priority_queue<Hit, std::vector<Hit>, decltype(&better)> heap(&better);
    for (size_t start = begin; start < end; start += kChunk) {
        const size_t stop = std::min(end, start + kChunk);
        m.dot_rows(query, start, stop, scores.data());
        for (size_t r = start; r < stop; ++r) {
            const Hit h{r, scores[r - start]};
            if (heap.size() < k) {
                heap.push(h);
            } else if (better(h, heap.top())) {
                heap.pop();
                heap.push(h);
            }
        }
    }
    std::vector<Hit> out;
    out.reserve(heap.size());
    while (!heap.empty()) {
        out.push_back(heap.top());
        heap.pop();
    }
    return out;
}

}  // namespace

float dot_f32(const float* a, const float* b, size_t n) {
#ifdef CLIPRT_SEARCH_X86
    if (have_avx2()) return dot_f32_avx2(a, b, n);
#endif
    return dot_f32_portable(a, b, n);
}

EmbeddingMatrix::EmbeddingMatrix(size_t dim, MatrixType type) : dim_(dim), type_(type) {
    if (dim == 0) fail("embedding matrix of dim 0");
}

EmbeddingMatrix EmbeddingMatrix::from_f32(const std::vector<float>& values, size_t dim, MatrixType type) {
    EmbeddingMatrix m(dim, type);
    if (values.size() % dim != 0) fail(values.size(), " values do not form rows of dim ", dim);
    m.reserve(values.size() / dim);
    for (size_t i = 0; i < values.size(); i += dim) m.append(values.data() + i);
    return m;
}

void EmbeddingMatrix::reserve(size_t rows) {
    if (type_ == MatrixType::F32)
        f32_.reserve(rows * dim_);
    else
        f16_.reserve(rows * dim_);
}

void EmbeddingMatrix::append(const float* row) {
    if (type_ == MatrixType::F32) {
        f32_.insert(f32_.end(), row, row + dim_);
    } else {
        for (size_t i = 0; i < dim_; ++i) f16_.push_back(f32_to_f16(row[i]));
    }
    ++rows_;
}

std::vector<float> EmbeddingMatrix::row(size_t r) const {
    if (r >= rows_) fail("row ", r, " of a matrix with ", rows_, " rows");
    if (type_ == MatrixType::F32) return {f32_.begin() + r * dim_, f32_.begin() + (r + 1) * dim_};
    std::vector<float> out(dim_);
    for (size_t i = 0; i < dim_; ++i) out[i] = f16_to_f32(f16_[r * dim_ + i]);
    return out;
}

void EmbeddingMatrix::dot_rows(const float* query, size_t begin, size_t end, float* out) const {
    if (type_ == MatrixType::F32) {
        for (size_t r = begin; r < end; ++r) out[r - begin] = dot_f32(f32_.data() + r * dim_, query, dim_);
    } else {
        for (size_t r = begin; r < end; ++r) out[r - begin] = dot_f16(f16_.data() + r * dim_, query, dim_);
    }
}

std::vector<Hit> top_k(const EmbeddingMatrix& matrix, const float* query, size_t k, unsigned threads) {
    const size_t n = matrix.rows();
    k = std::min(k, n);
    if (k == 0) return {};
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    // Threads pay off only when each gets a few ms of work.
    constexpr size_t kRowsPerThread = 32768;
    threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, n / kRowsPerThread)));
    std::vector<std::vector<Hit>> parts(threads);
    if (threads == 1) {
        parts[0] = top_k_range(matrix, query, 0, n, k);
    } else {
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t) {
            const size_t begin = n * t / threads, end = n * (t + 1) / threads;
            pool.emplace_back([&, t, begin, end] { parts[t] = top_k_range(matrix, query, begin, end, k); });
        }
        for (std::thread& th : pool) th.join();
    }
    std::vector<Hit> all;
    for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), better);
    all.resize(k);
    return all;
}

}  // namespace cliprt::search
