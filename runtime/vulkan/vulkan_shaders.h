// The SPIR-V of shaders/*.comp, compiled by glslangValidator at build time and embedded in the
// library (see shaders/CMakeLists.txt). Each shader exists as "<stem>_f32" and "<stem>_f16".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cliprt::vk {

struct SpirvModule {
    const char* name;
    const uint32_t* words;
    size_t word_count;
};

// Throws Error naming the shader when it was not built into the library.
const SpirvModule& find_spirv(const std::string& name);

// The number of descriptor bindings of set 0 (highest Binding decoration + 1).
uint32_t spirv_binding_count(const SpirvModule& module);

}  // namespace cliprt::vk
