// The SPIR-V of shaders/*.comp, compiled by glslangValidator at build time and embedded in the
// library (see shaders/CMakeLists.txt). Each shader exists as "<stem>_f32" and "<stem>_f16".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "vulkan/vulkan_api.h"

namespace cliprt::vk {

struct SpirvModule {
    const char* name;
    const uint32_t* words;
    size_t word_count;
};

// Throws Error naming the shader when it was not built into the library.
const SpirvModule& find_spirv(const std::string& name);

// The descriptor type of each binding of set 0, in binding order: uniform texel buffers (sampled
// images of dimension Buffer) and storage buffers (everything else cliprt's shaders declare).
std::vector<VkDescriptorType> spirv_descriptor_types(const SpirvModule& module);

}  // namespace cliprt::vk
