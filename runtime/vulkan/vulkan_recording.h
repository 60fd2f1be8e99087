// What op recorders build: a list of dispatches (pipeline, buffer bindings with their access, push
// constants, grid). The program later turns the list into one command buffer with barriers where
// a dispatch touches memory an earlier one wrote (or writes memory an earlier one read).
#pragma once

#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "cliprt/backend.h"
#include "cliprt/op_args.h"
#include "shader_interface.h"  // shaders/: push-constant structs and flag values
#include "vulkan/vulkan_context.h"
#include "vulkan/vulkan_shaders.h"

namespace cliprt::vk {

enum class Access : uint8_t { Read, Write, ReadWrite };

struct Binding {
    VkBuffer buffer = VK_NULL_HANDLE;
    uint64_t offset = 0;
    uint64_t bytes = 0;
    Access access = Access::Read;
    VkFormat texel_format = VK_FORMAT_UNDEFINED;  // a uniform texel buffer view of this format, else a storage buffer
};

// A size, count or index as a push-constant field (shader_interface.h); Error when it does not fit.
uint32_t push_u32(int64_t value);
int32_t push_i32(int64_t value);

using Grid = std::array<uint32_t, 3>;

struct Dispatch {
    PipelineKey key;
    std::vector<Binding> bindings;
    std::vector<uint32_t> push;
    Grid groups{1, 1, 1};
    std::string node;
};

// An embedding whose ids the program checks after each run.
struct IdCheck {
    std::string node;
    TensorArg ids;
    int64_t vocab = 0;
};

// A node as its recorder sees it: cliprt::NodeArgs of cliprt/op_args.h (no Vulkan additions).
class Recording {
public:
    Recording(std::shared_ptr<Context> context, int id_checks);

    const KernelVariants& variants() const { return context_->variants; }
    const VkPhysicalDeviceLimits& limits() const { return context_->device->limits(); }

    // The module of shader `id` for data stored as `dtype`, with texel-buffer loads or not,
    // subgroup arithmetic or not (KernelVariants::subgroups).
    static const SpirvModule* shader(ShaderId id, DType dtype, bool texel = false, bool subgroup = false) {
        return &spirv_module(id, dtype, texel, subgroup);
    }
    // The most bytes one binding may cover (Context::max_binding), and the boundary, in bytes, a
    // binding of part of a tensor must start on (storage and texel offset alignments).
    uint64_t max_binding() const { return context_->max_binding; }
    uint64_t binding_alignment() const;
    // Whether the whole tensor fits one binding.
    bool fits(const TensorArg& arg) const;
    // Bindings of a tensor's bytes; check alignment, size limits and that the buffer is ours.
    Binding read(const TensorArg& arg) const;
    Binding write(const TensorArg& arg) const;
    // Whether a float tensor can be read through a texel view (one or four floats per texel): the
    // device supports the views, the kernels want them, and the tensor fits the device's limits.
    bool texel_ok(const TensorArg& arg, bool vec4) const;
    // A read through a texel view; requires texel_ok.
    Binding texel(const TensorArg& arg, bool vec4) const;
    // The slot an embedding records its first bad row in, and the binding of the slot buffer.
    uint32_t add_id_check(IdCheck check);
    Binding id_status() const;

    // `groups` workgroups in a line, split over x and y beyond maxComputeWorkGroupCount[0]; shaders
    // recover the line index with group_index().
    Grid line(uint64_t groups) const;
    // Workgroups for `items` invocations of workgroups of `per_group` each.
    Grid line_for(uint64_t items, uint32_t per_group) const;
    // `push` is the shader's push-constant struct of shader_interface.h.
    template <typename PushConstants>
    void dispatch(const NodeArgs& args, PipelineKey key, std::vector<Binding> bindings, const PushConstants& push,
                  Grid groups) {
        static_assert(std::is_trivially_copyable_v<PushConstants> && sizeof(PushConstants) % sizeof(uint32_t) == 0);
        std::vector<uint32_t> words(sizeof(PushConstants) / sizeof(uint32_t));
        std::memcpy(words.data(), &push, sizeof(PushConstants));
        dispatch_words(args, std::move(key), std::move(bindings), std::move(words), groups);
    }

    std::shared_ptr<Context> context() const { return context_; }
    std::vector<Dispatch>& dispatches() { return dispatches_; }
    std::unique_ptr<VulkanBuffer> take_status() { return std::move(status_); }
    std::vector<IdCheck>& id_checks() { return id_checks_; }

private:
    Binding bind(const TensorArg& arg, Access access) const;
    void dispatch_words(const NodeArgs& args, PipelineKey key, std::vector<Binding> bindings,
                        std::vector<uint32_t> push, Grid groups);

    std::shared_ptr<Context> context_;
    std::vector<Dispatch> dispatches_;
    std::unique_ptr<VulkanBuffer> status_;
    std::vector<IdCheck> id_checks_;
};

// Elements [first, first + count) of a tensor, as a flat tensor of their own (same buffer, later
// offset): what an op bound in pieces binds.
TensorArg span(const TensorArg& t, int64_t first, int64_t count);
// The smallest number of rows of `row_elems` elements such that every multiple of it starts a
// span on the recording's binding alignment.
int64_t aligned_rows(const Recording& r, DType dtype, int64_t row_elems);
// The most rows of `row_elems` elements, a multiple of `step` (and at most `rows`), whose bytes fit
// one binding; 0 when not even `step` rows fit.
int64_t rows_per_binding(const Recording& r, DType dtype, int64_t row_elems, int64_t step, int64_t rows);

// The boundary, in bytes, a binding of part of a tensor must start on: the storage and texel
// buffer offset alignments.
uint64_t binding_alignment(const VkPhysicalDeviceLimits& limits);

// Ceiling division for grid sizes.
inline uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace cliprt::vk
