// Brute-force nearest neighbours by inner product over a matrix of L2-normalized embeddings (so the
// score is the cosine). A photo collection is small enough that an exact scan beats an approximate
// index in simplicity and is still fast: see bench/search_bench.cpp for the measured latency.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cliprt::search {

enum class MatrixType { F32, F16 };

class EmbeddingMatrix {
public:
    EmbeddingMatrix(size_t dim, MatrixType type);
    // rows x dim f32 values (row-major); stored as the matrix type (f16 rounds to nearest even).
    static EmbeddingMatrix from_f32(const std::vector<float>& values, size_t dim, MatrixType type);
    void append(const float* row);
    void reserve(size_t rows);

    size_t rows() const { return rows_; }
    size_t dim() const { return dim_; }
    MatrixType type() const { return type_; }
    // Row r as f32 (f16 rows converted).
    std::vector<float> row(size_t r) const;
    // out[r - begin] = dot(row r, query) for r in [begin, end).
    void dot_rows(const float* query, size_t begin, size_t end, float* out) const;

private:
    size_t dim_;
    MatrixType type_;
    size_t rows_ = 0;
    std::vector<float> f32_;
    std::vector<uint16_t> f16_;
};

struct Hit {
    size_t row = 0;
    float score = 0;
};

// Hits with the k highest scores, best first; ties go to the lower row (deterministic).
// threads = 0: all cores, for matrices large enough to pay for the threads.
std::vector<Hit> top_k(const EmbeddingMatrix& matrix, const float* query, size_t k, unsigned threads = 0);

// Dot product of two f32 vectors with the widest SIMD this CPU has (the same kernel top_k uses).
float dot_f32(const float* a, const float* b, size_t n);

}  // namespace cliprt::search
