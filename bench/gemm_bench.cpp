// GEMM throughput of the fast CPU kernels at CLIP's Linear shapes, on one thread (thread CPU time,
// robust on a busy machine) and on two (wall time), best of the repeats; then at RN50's convolution
// shapes, run channels-last as the conv recorder runs them. A development tool for tuning the
// micro-kernels;
// tools/peers_bench.py measures whole towers against the peers.
//   cliprt_gemm_bench [isa: portable|avx2|avx512] [repeats] [cold: weights from memory]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cpu/thread_pool.h"
#include "cpu_fast/cpu_fast_gemm.h"
#include "cpu_fast/cpu_fast_packing.h"
#include "cpu_fast/cpu_fast_winograd.h"

using namespace cliprt;
using namespace cliprt::cpu_fast;

namespace {

double thread_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct GemmShape {
    const char* name;
    int64_t m, n, k;
    Activation act;
};

// An RN50 convolution (stride 1, "same" padding, ReLU as RN50's), channels-last as the recorder
// runs it: GEMM of out_channels x (in_channels * kh * kw) x pixels.
struct ConvShape {
    const char* name;
    int64_t batch, in_c, out_c, kernel, hw;
};

// Best seconds of f over the repeats, on one thread (CPU time) and on the pool (wall time) in turn.
template <typename F>
void best_times(int repeats, cpu::ThreadPool& one, cpu::ThreadPool& all, double (&best)[2], F&& f) {
    best[0] = best[1] = 1e30;
    for (int r = 0; r < repeats; ++r) {
        for (int t = 0; t < 2; ++t) {
            const double t0 = t == 0 ? thread_seconds() : wall_seconds();
            f(t == 0 ? one : all);
            best[t] = std::min(best[t], (t == 0 ? thread_seconds() : wall_seconds()) - t0);
        }
    }
}

// The direct implicit GEMM, and for 3x3 shapes Winograd's F(2x2, 3x3) and F(4x4, 3x3) (GFLOP/s
// counted as the direct convolution's, so the columns compare times).
void conv_shapes(const Kernels& kernels, int repeats, cpu::ThreadPool& one, cpu::ThreadPool& all) {
    const ConvShape shapes[] = {
        {"stem conv2", 1, 32, 32, 3, 112},     {"l1 conv1 1x1", 1, 64, 64, 1, 56},
        {"l1 conv2 3x3", 1, 64, 64, 3, 56},    {"l1 conv3 1x1", 1, 64, 256, 1, 56},
        {"l2 conv2 3x3", 1, 128, 128, 3, 28},  {"l2 conv3 1x1", 1, 128, 512, 1, 28},
        {"l3 conv1 1x1", 1, 1024, 256, 1, 14}, {"l3 conv2 3x3", 1, 256, 256, 3, 14},
        {"l4 conv2 3x3", 1, 512, 512, 3, 7},   {"l4 conv3 1x1", 1, 512, 2048, 1, 7},
        {"b8 l1 conv2", 8, 64, 64, 3, 56},     {"b8 l1 conv3", 8, 64, 256, 1, 56},
        {"b8 l2 conv2", 8, 128, 128, 3, 28},   {"b8 l3 conv2", 8, 256, 256, 3, 14},
    };
    std::mt19937 rng(2);
    std::normal_distribution<float> dist(0.0f, 0.05f);
    std::printf(
        "\nRN50 convolution shapes, channels-last implicit GEMM (and Winograd for 3x3)\n"
        "%-12s %5s %5s %5s %5s %12s %12s %12s %12s\n",
        "shape", "batch", "m", "k", "n", "1t GFLOP/s", "2t GFLOP/s", "2t F(2x2)", "2t F(4x4)");
    double seconds[2] = {0, 0}, flops = 0;
    for (const ConvShape& s : shapes) {
        const int64_t taps = s.kernel * s.kernel, k = taps * s.in_c, pixels = s.batch * s.hw * s.hw;
        const int64_t pad = s.kernel / 2;
        std::vector<float> x(pixels * s.in_c), w(s.out_c * k), bias(s.out_c), y(pixels * s.out_c);
        for (std::vector<float>* v : {&x, &w, &bias})
            for (float& value : *v) value = dist(rng);
        PackCache packs;
        const std::shared_ptr<const PackedWeights> packed =
            packs.get_conv_taps(1, 0, w.data(), s.out_c, s.in_c, taps, kernels.gemm_nr);
        std::vector<ConvRowOrigin> origins;
        for (int64_t px = 0; px < pixels; ++px) {
            const int64_t img = px / (s.hw * s.hw), ih = px / s.hw % s.hw - pad, iw = px % s.hw - pad;
            origins.push_back(
                {((img * s.hw + ih) * s.hw + iw) * s.in_c, static_cast<int32_t>(ih), static_cast<int32_t>(iw)});
        }
        const ConvNhwc conv{x.data(), s.hw, s.hw, s.in_c, s.kernel, s.kernel, origins.data()};
        GemmEpilogue ep;
        ep.bias = bias.data();
        ep.act = Activation::Relu;
        double best[2], winograd[2] = {0, 0};
        best_times(repeats, one, all, best, [&](cpu::ThreadPool& pool) {
            parallel_conv_nhwc(pool, kernels, conv, *packed, pixels, y.data(), s.out_c, ep);
        });
        const double f = 2.0 * static_cast<double>(s.out_c * k * pixels);
        for (int m = 2; m <= 4 && s.kernel == 3; m += 2) {  // 2t GFLOP/s of F(2x2, 3x3) and F(4x4, 3x3)
            const std::shared_ptr<const PackedWeights> u =
                packs.get_winograd(2, 0, w.data(), s.out_c, s.in_c, kernels.gemm_nr, m);
            const WinogradTiles wt{x.data(), s.batch, s.hw, s.hw, s.in_c, s.out_c, m};
            double wbest[2];
            best_times(repeats, one, all, wbest,
                       [&](cpu::ThreadPool& pool) { parallel_winograd_conv(pool, kernels, wt, *u, y.data(), ep); });
            winograd[m / 4] = f / wbest[1] * 1e-9;
        }
        seconds[0] += best[0];
        seconds[1] += best[1];
        flops += f;
        std::printf("%-12s %5lld %5lld %5lld %5lld %12.1f %12.1f %12.1f %12.1f\n", s.name,
                    static_cast<long long>(s.batch), static_cast<long long>(s.out_c), static_cast<long long>(k),
                    static_cast<long long>(pixels), f / best[0] * 1e-9, f / best[1] * 1e-9, winograd[0], winograd[1]);
    }
    std::printf("%-12s %29s %12.1f %12.1f\n", "all (direct)", "", flops / seconds[0] * 1e-9, flops / seconds[1] * 1e-9);
}

}  // namespace

int main(int argc, char** argv) {
    const Isa isa = argc > 1 ? (std::string(argv[1]) == "avx2"       ? Isa::Avx2
                                : std::string(argv[1]) == "portable" ? Isa::Portable
                                                                     : Isa::Avx512)
                             : detected_isa();
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 20;
    const bool cold = argc > 3 && std::string(argv[3]) == "cold";
    const Kernels& kernels = kernels_for(isa);
    const GemmShape shapes[] = {
        {"vit b1 qkv", 50, 2304, 768, Activation::None},   {"vit b1 fc1", 50, 3072, 768, Activation::Gelu},
        {"vit b1 fc2", 50, 768, 3072, Activation::None},   {"vit b1 out", 50, 768, 768, Activation::None},
        {"vit b8 qkv", 400, 2304, 768, Activation::None},  {"vit b8 fc1", 400, 3072, 768, Activation::Gelu},
        {"vit b8 fc2", 400, 768, 3072, Activation::None},  {"text b1 fc1", 77, 2048, 512, Activation::Gelu},
        {"text b8 fc1", 616, 2048, 512, Activation::Gelu}, {"text b8 fc2", 616, 512, 2048, Activation::None},
    };
    std::mt19937 rng(1);
    std::normal_distribution<float> dist(0.0f, 0.05f);
    cpu::ThreadPool one(1), all(2);
    std::printf("isa %s, register block %d x %d, weights %s (cliprt_fma_peak gives the ceiling)\n", isa_name(isa),
                kernels.gemm_mr, kernels.gemm_nr, cold ? "from memory" : "in cache");
    std::printf("%-12s %5s %5s %5s %12s %12s\n", "shape", "m", "n", "k", "1t GFLOP/s", "2t GFLOP/s");
    for (const GemmShape& s : shapes) {
        std::vector<float> a(s.m * s.k), w(s.n * s.k), bias(s.n), c(s.m * s.n);
        for (float& v : a) v = dist(rng);
        for (float& v : w) v = dist(rng);
        for (float& v : bias) v = dist(rng);
        // Enough copies of the weights to exceed the last-level cache, used in turn: in a forward
        // every Linear's weights come from memory (ViT-B-32 has 350 MB of them).
        const int copies = cold ? static_cast<int>(400e6 / (4.0 * s.n * s.k)) + 1 : 1;
        std::vector<PackedWeights> packs;
        for (int i = 0; i < copies; ++i)
            packs.push_back(pack_weights(w.data(), s.n, s.k, kernels.gemm_nr, WeightFormat::F32));
        int turn = 0;
        GemmEpilogue ep;
        ep.bias = bias.data();
        ep.act = s.act;
        const double flops = 2.0 * static_cast<double>(s.m * s.n * s.k);
        double best1 = 1e30, best2 = 1e30;
        for (int r = 0; r < repeats; ++r) {
            for (int t = 0; t < 2; ++t) {  // one thread and the pool in turn: drift hits both alike
                cpu::ThreadPool& pool = t == 0 ? one : all;
                const PackedWeights& packed = packs[turn++ % copies];
                const double t0 = t == 0 ? thread_seconds() : wall_seconds();
                parallel_gemm_packed(pool, kernels, packed, s.m, a.data(), s.k, c.data(), s.n, ep);
                const double dt = (t == 0 ? thread_seconds() : wall_seconds()) - t0;
                (t == 0 ? best1 : best2) = std::min(t == 0 ? best1 : best2, dt);
            }
        }
        std::printf("%-12s %5lld %5lld %5lld %12.1f %12.1f\n", s.name, static_cast<long long>(s.m),
                    static_cast<long long>(s.n), static_cast<long long>(s.k), flops / best1 * 1e-9,
                    flops / best2 * 1e-9);
    }
    conv_shapes(kernels, repeats, one, all);
    return 0;
}
