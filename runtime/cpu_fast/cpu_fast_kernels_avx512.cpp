// The fast CPU kernels compiled for avx512 (target flags set for this file in CMakeLists.txt).
#if defined(__x86_64__) || defined(__i386__)
#define CLIPRT_FAST_AVX512 1
#include "cpu_fast/cpu_fast_kernels_impl.h"
#include "cpu_fast/cpu_fast_kernels_amx.h"

namespace cliprt::cpu_fast {

const Kernels& kernels_avx512() {
    static const Kernels table = [] {
        Kernels k = make_kernels(Isa::Avx512);
        k.gemm_bf16_amx = gemm_bf16_amx;
        k.pack_a_amx = pack_a_amx;
        k.pack_b_pairs_amx = pack_b_pairs_amx;
        k.amx_rows = kAmxRows;
        k.amx_k = kAmxK;
        return k;
    }();
    return table;
}
#else
#include "cpu_fast/cpu_fast_kernels.h"

namespace cliprt::cpu_fast {

// Not an x86 processor: detected_isa() never picks this table.
const Kernels& kernels_avx512() { return kernels_portable(); }
#endif

}  // namespace cliprt::cpu_fast
