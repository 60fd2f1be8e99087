// Which instruction set the fast CPU kernels use: the best the processor has, capped by
// CLIPRT_CPU_ISA so tests and benchmarks can force the lower paths on a newer machine.
#include <cstdlib>
#include <string>

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
