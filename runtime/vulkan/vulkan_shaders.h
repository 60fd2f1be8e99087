// The SPIR-V of shaders/*.comp, compiled by glslangValidator at build time and embedded in the
// library (see shaders/CMakeLists.txt). Each shader exists as "<stem>_f32" and "<stem>_f16", some also
// as "<stem>_texel_f32" / "_f16" (texel-buffer loads), "<stem>_subgroup_f32" / "_f16" (subgroup
// arithmetic) or "<stem>_texel_subgroup_f32" / "_f16"; recorders name them by ShaderId (generated
// from the file names at build time), never by string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cliprt/dtype.h"
#include "vulkan/vulkan_api.h"
#include "vulkan_shader_ids.h"  // generated: enum class ShaderId

namespace cliprt::vk {

struct SpirvModule {
    const char* name;  // "<stem>_f32", "<stem>_texel_f16", ...
    const uint32_t* words;
    size_t word_count;
};

// Variants per shader, at index f16 + 2 * texel + 4 * subgroup: f32, f16, texel_f32, texel_f16,
// subgroup_f32, subgroup_f16, texel_subgroup_f32, texel_subgroup_f16.
inline constexpr size_t kShaderVariants = 8;

// The module of shader `id` for data stored as `dtype` (4-byte data uses the f32 variant), with
// texel-buffer loads or not, subgroup arithmetic or not; Error when that variant is not built (no
// "cliprt-variants: texel" or "subgroup").
const SpirvModule& spirv_module(ShaderId id, DType dtype, bool texel = false, bool subgroup = false);

// The descriptor type of each binding of set 0, in binding order: uniform texel buffers (sampled
// images of dimension Buffer) and storage buffers (everything else cliprt's shaders declare).
std::vector<VkDescriptorType> spirv_descriptor_types(const SpirvModule& module);

}  // namespace cliprt::vk
