// The fast CPU kernels compiled for portable (target flags set for this file in CMakeLists.txt).

#include "cpu_fast/cpu_fast_kernels_impl.h"

namespace cliprt::cpu_fast {

const Kernels& kernels_portable() {
    static const Kernels table = make_kernels(Isa::Portable);
    return table;
}

}  // namespace cliprt::cpu_fast
