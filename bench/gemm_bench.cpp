// GEMM throughput of the fast CPU kernels at CLIP's Linear shapes, on one thread (thread CPU time,
// robust on a busy machine) and on two (wall time), best of the repeats; then at RN50's convolution
// shapes on one thread, the GEMM alone over patches already gathered (as the conv recorder hands
// them over, in groups of panels in half of L2). A development tool for tuning the micro-kernels;
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

// A convolution's GEMM: out_channels x (patch = in_channels * kh * kw) x pixels, ReLU as RN50's.
struct ConvShape {
    const char* name;
    int64_t m, k, n;
};

void conv_shapes(const Kernels& kernels, int repeats) {
    const ConvShape shapes[] = {{"stem conv2", 32, 288, 12544},   {"l1 conv1 1x1", 64, 64, 3136},
                                {"l1 conv2 3x3", 64, 576, 3136},  {"l1 conv3 1x1", 256, 64, 3136},
                                {"l2 conv2 3x3", 128, 1152, 784}, {"l2 conv3 1x1", 512, 128, 784},
                                {"l3 conv1 1x1", 256, 1024, 196}, {"l3 conv2 3x3", 256, 2304, 196},
                                {"l4 conv2 3x3", 512, 4608, 49},  {"l4 conv3 1x1", 2048, 512, 49}};
    std::mt19937 rng(2);
    std::normal_distribution<float> dist(0.0f, 0.05f);
    std::printf("\nRN50 convolution shapes, patches gathered, 1 thread\n%-12s %5s %5s %5s %12s\n", "shape", "m", "k",
                "n", "1t GFLOP/s");
    double seconds = 0, flops = 0;
    for (const ConvShape& s : shapes) {
        const int64_t nr = kernels.gemm_nr, panels = (s.n + nr - 1) / nr;
        std::vector<float> w(s.m * s.k), bias(s.m), c(s.m * s.n), patches(panels * s.k * nr);
        for (std::vector<float>* v : {&w, &bias, &patches})
            for (float& x : *v) x = dist(rng);
        std::vector<float> a(kernels.packed_a_floats(s.m, s.k));
        kernels.pack_a(w.data(), s.k, s.m, s.k, 0, s.m, a.data());
        GemmEpilogue ep;
        ep.bias = bias.data();
        ep.bias_per_row = true;
        ep.act = Activation::Relu;
        const int64_t group = conv_panel_group(s.k, kernels.gemm_nr);
        double best = 1e30;
        for (int r = 0; r < repeats; ++r) {
            const double t0 = thread_seconds();
            for (int64_t p = 0; p < panels; p += group) {
                const int64_t count = std::min(group, panels - p), col0 = p * nr;
                const GemmB b{patches.data() + p * s.k * nr, s.k * nr, nr, true};
                kernels.gemm_packed_a(0, s.m, 0, count, std::min(s.n, (p + count) * nr) - col0, s.k, a.data(), b,
                                      c.data() + col0, s.n, ep);
            }
            best = std::min(best, thread_seconds() - t0);
        }
        const double f = 2.0 * static_cast<double>(s.m * s.k * s.n);
        seconds += best;
        flops += f;
        std::printf("%-12s %5lld %5lld %5lld %12.1f\n", s.name, static_cast<long long>(s.m),
                    static_cast<long long>(s.k), static_cast<long long>(s.n), f / best * 1e-9);
    }
    std::printf("%-12s %30.1f\n", "all", flops / seconds * 1e-9);
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
    conv_shapes(kernels, repeats);
    return 0;
}
