// cliprt_fma_peak: the machine's measured f32 FMA throughput, the ceiling the CPU kernels are held
// against (tools/peers_bench.py divides achieved GFLOP/s by it).
//
// Each thread runs independent fused multiply-add chains (more chains than FMA latency x ports, so
// the loop is throughput-bound) in registers for a fixed time; GFLOP/s counts 2 FLOPs per lane per
// FMA. The AVX2 and AVX-512 loops carry target attributes and run only where the processor has the
// instructions, so the binary runs on any x86-64.
//
//   cliprt_fma_peak [--threads N] [--seconds S] [--json]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CLIPRT_FMA_PEAK_X86 1
#endif

namespace {

// The work of one call: `iterations` rounds of every chain.
using FmaLoop = float (*)(int64_t iterations, float a, float b);
constexpr int64_t kChunk = 1 << 20;  // iterations between clock reads

#ifdef CLIPRT_FMA_PEAK_X86
// 12 chains of 8 lanes (16 ymm registers: 12 accumulators + 2 operands).
constexpr int kAvx2Chains = 12;
__attribute__((target("avx2,fma"))) float fma_loop_avx2(int64_t iterations, float a, float b) {
    __m256 acc[kAvx2Chains];
    for (int i = 0; i < kAvx2Chains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
    const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
    for (int64_t n = 0; n < iterations; ++n) {
#pragma GCC unroll 12
        for (int i = 0; i < kAvx2Chains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], va, vb);
    }
    __m256 sum = acc[0];
    for (int i = 1; i < kAvx2Chains; ++i) sum = _mm256_add_ps(sum, acc[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    return lanes[0];
}

// 24 chains of 16 lanes (32 zmm registers).
constexpr int kAvx512Chains = 24;
__attribute__((target("avx512f"))) float fma_loop_avx512(int64_t iterations, float a, float b) {
    __m512 acc[kAvx512Chains];
    for (int i = 0; i < kAvx512Chains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
    const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
    for (int64_t n = 0; n < iterations; ++n) {
#pragma GCC unroll 24
        for (int i = 0; i < kAvx512Chains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], va, vb);
    }
    __m512 sum = acc[0];
    for (int i = 1; i < kAvx512Chains; ++i) sum = _mm512_add_ps(sum, acc[i]);
    float lanes[16];  // not _mm512_reduce_add_ps: GCC 12 warns inside it (-Werror=uninitialized)
    _mm512_storeu_ps(lanes, sum);
    return lanes[0];
}
#endif

struct Isa {
    const char* name;
    FmaLoop loop;
    int64_t flops_per_iteration;
    bool available;
};

std::vector<Isa> isas() {
    std::vector<Isa> out;
#ifdef CLIPRT_FMA_PEAK_X86
    __builtin_cpu_init();
    out.push_back({"avx2", fma_loop_avx2, int64_t{2} * 8 * kAvx2Chains,
                   __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")});
    out.push_back({"avx512", fma_loop_avx512, int64_t{2} * 16 * kAvx512Chains,
                   static_cast<bool>(__builtin_cpu_supports("avx512f"))});
#endif
    return out;
}

// Every thread runs chunks until `seconds` have passed; GFLOP/s of all together over the wall time.
double measure(const Isa& isa, int threads, double seconds) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<int64_t> chunks(static_cast<size_t>(threads), 0);
    std::vector<float> sinks(static_cast<size_t>(threads), 0.0f);
    auto worker = [&](int t) {
        ready.fetch_add(1);
        while (!go.load()) std::this_thread::yield();
        const auto start = std::chrono::steady_clock::now();
        float sink = 0;
        // a = 1 - 2^-20 keeps every chain finite however long it runs.
        do {
            sink += isa.loop(kChunk, 0.99999905f, 1e-3f);
            ++chunks[static_cast<size_t>(t)];
        } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds);
        sinks[static_cast<size_t>(t)] = sink;
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
    while (ready.load() < threads) std::this_thread::yield();
    const auto start = std::chrono::steady_clock::now();
    go.store(true);
    for (std::thread& th : pool) th.join();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int64_t total = 0;
    float sink = 0;
    for (int t = 0; t < threads; ++t) {
        total += chunks[static_cast<size_t>(t)];
        sink += sinks[static_cast<size_t>(t)];
    }
    if (sink != sink) std::fprintf(stderr, "fma_peak: a chain overflowed\n");  // keeps the sums live
    return 1e-9 * static_cast<double>(total * kChunk * isa.flops_per_iteration) / elapsed;
}

int usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s [--threads N (0 = all cores)] [--seconds S] [--json]\n", argv0);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 0;
    double seconds = 1.0;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--json") {
            json = true;
        } else if ((arg == "--threads" || arg == "--seconds") && i + 1 < argc) {
            char* end = nullptr;
            const double value = std::strtod(argv[++i], &end);
            if (*end != '\0' || value < 0 || value > 4096) return usage(argv[0]);
            if (arg == "--threads")
                threads = static_cast<int>(value);
            else
                seconds = value;
        } else {
            return usage(argv[0]);
        }
    }
    if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (seconds <= 0) return usage(argv[0]);

    std::string rows;
    if (!json) std::printf("%-8s %8s %12s\n", "isa", "threads", "GFLOP/s");
    for (const Isa& isa : isas()) {
        if (!isa.available) {
            if (!json) std::printf("%-8s %8s %12s\n", isa.name, "-", "unsupported");
            continue;
        }
        std::vector<int> counts{1};
        if (threads > 1) counts.push_back(threads);
        for (int n : counts) {
            const double gflops = measure(isa, n, seconds);
            if (json) {
                char row[160];
                std::snprintf(row, sizeof row, "%s\n    {\"isa\": \"%s\", \"threads\": %d, \"gflop_per_second\": %.2f}",
                              rows.empty() ? "" : ",", isa.name, n, gflops);
                rows += row;
            } else {
                std::printf("%-8s %8d %12.1f\n", isa.name, n, gflops);
            }
        }
    }
    if (json) std::printf("{\"results\": [%s\n]}\n", rows.c_str());
    return 0;
}
