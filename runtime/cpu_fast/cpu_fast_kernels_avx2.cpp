// The fast CPU kernels compiled for avx2 (target flags set for this file in CMakeLists.txt).
#if defined(__x86_64__) || defined(__i386__)
#define CLIPRT_FAST_AVX2 1
#include "cpu_fast/cpu_fast_kernels_impl.h"

namespace cliprt::cpu_fast {

const Kernels& kernels_avx2() {
    static const Kernels table = make_kernels(Isa::Avx2);
    return table;
}
#else
#include "cpu_fast/cpu_fast_kernels.h"

namespace cliprt::cpu_fast {

// Not an x86 processor: detected_isa() never picks this table.
const Kernels& kernels_avx2() { return kernels_portable(); }
#endif

}  // namespace cliprt::cpu_fast
