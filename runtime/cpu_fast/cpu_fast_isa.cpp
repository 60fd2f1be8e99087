// Which instruction set the fast CPU kernels use: the best the processor has, capped by
// CLIPRT_CPU_ISA so tests and benchmarks can force the lower paths on a newer machine.
#include <cstdlib>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#include <unistd.h>

#include "cliprt/error.h"
#include "cpu_fast/cpu_fast_kernels.h"

namespace cliprt::cpu_fast {

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::Portable:
            return "portable";
        case Isa::Avx2:
            return "avx2";
        case Isa::Avx512:
            return "avx512";
    }
    return "?";
}

namespace {

Isa hardware_isa() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return Isa::Avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
    return Isa::Portable;
}

}  // namespace

bool cpu_has_avx512_bf16() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return hardware_isa() == Isa::Avx512 && __builtin_cpu_supports("avx512bf16");
#else
    return false;
#endif
}

Bf16Path default_bf16_path() {
    if (amx_usable()) return Bf16Path::Amx;
    const char* env = std::getenv("CLIPRT_CPU_BF16_DOT");
    if (env != nullptr && std::string(env) == "1" && cpu_has_avx512_bf16()) return Bf16Path::DotProducts;
    return Bf16Path::Widened;
}

bool amx_usable() {
    static const bool usable = [] {
        const char* env = std::getenv("CLIPRT_CPU_AMX");
        if (env != nullptr && std::string(env) == "0") return false;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__linux__)
        if (hardware_isa() != Isa::Avx512) return false;
        unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
        if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
        const bool amx_bf16 = (edx >> 22 & 1u) != 0;
        const bool amx_tile = (edx >> 24 & 1u) != 0;
        if (!amx_bf16 || !amx_tile) return false;
        // Linux hands out the 8 KiB tile state only on request (once per process).
        constexpr long kArchReqXcompPerm = 0x1023;
        constexpr long kXfeatureXtiledata = 18;
        return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
        return false;
#endif
    }();
    return usable;
}

int64_t l2_cache_bytes() {
    static const int64_t bytes = [] {
        const char* env = std::getenv("CLIPRT_CPU_L2_BYTES");
        if (env != nullptr && *env != '\0') return static_cast<int64_t>(std::atoll(env));
#if defined(_SC_LEVEL2_CACHE_SIZE)
        const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
        if (l2 >= (64 << 10) && l2 <= (64 << 20)) return static_cast<int64_t>(l2);
#endif
        return int64_t{1} << 20;
    }();
    return bytes;
}

Isa detected_isa() {
    const Isa hardware = hardware_isa();
    const char* cap = std::getenv("CLIPRT_CPU_ISA");
    if (cap == nullptr || *cap == '\0') return hardware;
    const std::string wanted(cap);
    for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512}) {
        if (wanted != isa_name(isa)) continue;
        if (static_cast<int>(isa) > static_cast<int>(hardware))
            fail("CLIPRT_CPU_ISA=", wanted, ": this processor supports at most ", isa_name(hardware));
        return isa;
    }
    fail("CLIPRT_CPU_ISA=", wanted, " is not one of portable, avx2, avx512");
}

const Kernels& kernels_for(Isa isa) {
    switch (isa) {
        case Isa::Portable:
            return kernels_portable();
        case Isa::Avx2:
            return kernels_avx2();
        case Isa::Avx512:
            return kernels_avx512();
    }
    return kernels_portable();
}

}  // namespace cliprt::cpu_fast
