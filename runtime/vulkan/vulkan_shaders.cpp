#include "vulkan/vulkan_shaders.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "cliprt/error.h"

namespace cliprt::vk {

namespace {

// Generated: #includes of spirv/<name>.inc and `const SpirvModule kEmbeddedSpirv[][kShaderVariants]`,
// one row per ShaderId.
#include "vulkan_spirv.inc"

constexpr uint32_t kOpTypeImage = 25;
constexpr uint32_t kOpTypeSampledImage = 27;
constexpr uint32_t kOpTypePointer = 32;
constexpr uint32_t kOpVariable = 59;
constexpr uint32_t kOpDecorate = 71;
constexpr uint32_t kDecorationBinding = 33;
constexpr uint32_t kDimBuffer = 5;

}  // namespace

const SpirvModule& spirv_module(ShaderId id, DType dtype, bool texel, bool subgroup) {
    const auto row = static_cast<size_t>(id);
    const size_t variant = (subgroup ? 4 : 0) + (texel ? 2 : 0) + (dtype_size(dtype) == 2 ? 1 : 0);
    if (row >= std::size(kEmbeddedSpirv)) fail("vulkan: shader id ", row, " is not built into this cliprt");
    const SpirvModule& m = kEmbeddedSpirv[row][variant];
    if (m.words == nullptr) {
        fail("vulkan: shader ", kEmbeddedSpirv[row][0].name, " has no ", texel ? "texel-buffer " : "",
             texel && subgroup ? "+ " : "", subgroup ? "subgroup " : "", "variant");
    }
    return m;
}

std::vector<VkDescriptorType> spirv_descriptor_types(const SpirvModule& module) {
    std::map<uint32_t, uint32_t> binding_of;   // variable id -> binding
    std::map<uint32_t, uint32_t> pointee_of;   // pointer type id -> pointee type id
    std::map<uint32_t, uint32_t> type_of_var;  // variable id -> pointer type id
    std::map<uint32_t, uint32_t> image_of;     // sampled image type id -> image type id
    std::map<uint32_t, bool> buffer_image;     // image type id -> Dim is Buffer
    // Instructions follow the 5-word header; each starts with (word count << 16) | opcode.
    for (size_t i = 5; i < module.word_count;) {
        const uint32_t words = module.words[i] >> 16;
        const uint32_t opcode = module.words[i] & 0xffffu;
        if (words == 0 || i + words > module.word_count)
            fail("vulkan: shader '", module.name, "' has malformed SPIR-V");
        const uint32_t* op = module.words + i;
        if (opcode == kOpDecorate && words >= 4 && op[2] == kDecorationBinding) binding_of[op[1]] = op[3];
        if (opcode == kOpTypePointer && words >= 4) pointee_of[op[1]] = op[3];
        if (opcode == kOpVariable && words >= 4) type_of_var[op[2]] = op[1];
        if (opcode == kOpTypeSampledImage && words >= 3) image_of[op[1]] = op[2];
        if (opcode == kOpTypeImage && words >= 4) buffer_image[op[1]] = op[3] == kDimBuffer;
        i += words;
    }
    std::vector<VkDescriptorType> types;
    for (const auto& [variable, binding] : binding_of) {
        if (binding >= types.size()) types.resize(binding + 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER);
        const uint32_t pointee = pointee_of[type_of_var[variable]];
        const auto image = image_of.find(pointee);
        if (image != image_of.end() && buffer_image[image->second])
            types[binding] = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
    }
    return types;
}

}  // namespace cliprt::vk
