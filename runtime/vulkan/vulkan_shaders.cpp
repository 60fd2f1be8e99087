#include "vulkan/vulkan_shaders.h"

#include <algorithm>
#include <cstring>

#include "cliprt/error.h"

namespace cliprt::vk {

namespace {

// Generated: #includes of spirv/<name>.inc and `const SpirvModule kEmbeddedSpirv[]`.
#include "vulkan_spirv.inc"

constexpr uint32_t kOpDecorate = 71;
constexpr uint32_t kDecorationBinding = 33;

}  // namespace

const SpirvModule& find_spirv(const std::string& name) {
    for (const SpirvModule& m : kEmbeddedSpirv) {
        if (name == m.name) return m;
    }
    fail("vulkan: shader '", name, "' is not built into this cliprt");
}

uint32_t spirv_binding_count(const SpirvModule& module) {
    uint32_t count = 0;
    // Instructions follow the 5-word header; each starts with (word count << 16) | opcode.
    for (size_t i = 5; i < module.word_count;) {
        const uint32_t words = module.words[i] >> 16;
        const uint32_t opcode = module.words[i] & 0xffffu;
        if (words == 0) fail("vulkan: shader '", module.name, "' has malformed SPIR-V");
        if (opcode == kOpDecorate && words >= 4 && module.words[i + 2] == kDecorationBinding) {
            count = std::max(count, module.words[i + 3] + 1);
        }
        i += words;
    }
    return count;
}

}  // namespace cliprt::vk
