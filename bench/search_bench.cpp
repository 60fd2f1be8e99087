// Query latency of the search app's brute-force scan: one query against 100k and 1M random unit
// vectors of dim 512, stored as f32 or f16, single-threaded and on all cores.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>

#include "search/vector_search.h"

namespace {

using cliprt::search::EmbeddingMatrix;
using cliprt::search::MatrixType;

constexpr size_t kDim = 512;

std::vector<float> random_unit(size_t rows, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> normal;
    std::vector<float> v(rows * kDim);
    for (size_t r = 0; r < rows; ++r) {
        float n = 0;
        for (size_t i = 0; i < kDim; ++i) n += (v[r * kDim + i] = normal(gen)) * v[r * kDim + i];
        for (size_t i = 0; i < kDim; ++i) v[r * kDim + i] /= std::sqrt(n);
    }
    return v;
}

// Matrices are built once per (rows, type): the 1M x 512 f32 one takes 2 GB.
const EmbeddingMatrix& matrix(size_t rows, MatrixType type) {
    static std::map<std::pair<size_t, MatrixType>, std::unique_ptr<EmbeddingMatrix>> cache;
    auto& slot = cache[{rows, type}];
    if (!slot) {
        cache.clear();  // keep one matrix alive at a time
        auto& fresh = cache[{rows, type}];
        fresh = std::make_unique<EmbeddingMatrix>(EmbeddingMatrix::from_f32(random_unit(rows, 1), kDim, type));
        return *fresh;
    }
    return *slot;
}

void BM_TopK(benchmark::State& state) {
    const size_t rows = static_cast<size_t>(state.range(0));
    const MatrixType type = state.range(1) ? MatrixType::F16 : MatrixType::F32;
    const unsigned threads = static_cast<unsigned>(state.range(2));
    const EmbeddingMatrix& m = matrix(rows, type);
    const std::vector<float> query = random_unit(1, 2);
    for (auto _ : state) {
        auto hits = cliprt::search::top_k(m, query.data(), 10, threads);
        benchmark::DoNotOptimize(hits.data());
    }
    state.SetLabel(std::string(type == MatrixType::F16 ? "f16" : "f32") + " threads=" + std::to_string(threads));
    state.counters["vectors/s"] =
        benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
    const double bytes = static_cast<double>(rows * kDim * (type == MatrixType::F16 ? 2 : 4));
    state.counters["GB/s"] = benchmark::Counter(bytes / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

// Args: rows, f16 (0/1), threads (0 = all cores).
BENCHMARK(BM_TopK)
    ->ArgNames({"rows", "f16", "threads"})
    ->Args({100000, 0, 1})
    ->Args({100000, 0, 0})
    ->Args({100000, 1, 1})
    ->Args({100000, 1, 0})
    ->Args({1000000, 0, 1})
    ->Args({1000000, 0, 0})
    ->Args({1000000, 1, 1})
    ->Args({1000000, 1, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
