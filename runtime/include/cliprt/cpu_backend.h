// The CPU reference backend: plain f32 kernels, multithreaded, the oracle every other backend is
// tested against.
#pragma once

#include <memory>

#include "cliprt/backend.h"

namespace cliprt {

// threads = 0 uses std::thread::hardware_concurrency().
std::unique_ptr<Backend> make_cpu_backend(int threads = 0);

}  // namespace cliprt
