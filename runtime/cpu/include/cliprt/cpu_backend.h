// The CPU backends.
//
// `cpu-ref` is the reference: plain f32 kernels, bit-reproducible for any thread count, the oracle
// every other backend (the fast `cpu`, Vulkan, CUDA) is tested against.
// `cpu` is the default: SIMD kernels chosen at run time (AVX-512, AVX2+FMA, portable), weights
// packed once, f32 or bf16 weights (`weights` DType::F32 or DType::BF16).
#pragma once

#include <memory>

#include "cliprt/backend.h"

namespace cliprt {

// threads = 0 uses std::thread::hardware_concurrency().
std::unique_ptr<Backend> make_cpu_ref_backend(int threads = 0);
// Defined by the fast backend (runtime/cpu_fast, library cliprt_cpu_fast).
std::unique_ptr<Backend> make_cpu_backend(int threads = 0, DType weights = DType::F32);

}  // namespace cliprt
