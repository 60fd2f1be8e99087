#include "vulkan/vulkan_recording.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "cliprt/error.h"

namespace cliprt::vk {

// The shaders compare activations and pooling modes with the graph's enum values.
static_assert(shader::ACT_NONE == static_cast<uint32_t>(Activation::None) &&
              shader::ACT_RELU == static_cast<uint32_t>(Activation::Relu) &&
              shader::ACT_GELU == static_cast<uint32_t>(Activation::Gelu) &&
              shader::ACT_GELU_TANH == static_cast<uint32_t>(Activation::GeluTanh) &&
              shader::ACT_QUICK_GELU == static_cast<uint32_t>(Activation::QuickGelu) &&
              shader::ACT_SIGMOID == static_cast<uint32_t>(Activation::Sigmoid));
static_assert(shader::POOL_FIRST == static_cast<uint32_t>(PoolMode::First) &&
              shader::POOL_LAST == static_cast<uint32_t>(PoolMode::Last) &&
              shader::POOL_ARGMAX == static_cast<uint32_t>(PoolMode::Argmax) &&
              shader::POOL_EOS == static_cast<uint32_t>(PoolMode::Eos) &&
              shader::POOL_MEAN == static_cast<uint32_t>(PoolMode::Mean));

uint32_t push_u32(int64_t value) {
    if (value < 0 || value > static_cast<int64_t>(UINT32_MAX))
        fail("vulkan: push constant ", value, " does not fit in 32 bits");
    return static_cast<uint32_t>(value);
}

int32_t push_i32(int64_t value) {
    if (value < INT32_MIN || value > INT32_MAX) fail("vulkan: push constant ", value, " does not fit in 32 bits");
    return static_cast<int32_t>(value);
}

Recording::Recording(std::shared_ptr<Context> context, int id_checks) : context_(std::move(context)) {
    if (id_checks > 0) {
        status_ =
            std::make_unique<VulkanBuffer>(nullptr, *context_->device, *context_->allocator,
                                           static_cast<uint64_t>(id_checks) * sizeof(uint32_t), MemoryUse::Readback);
    }
}

Binding Recording::bind(const TensorArg& arg, Access access) const {
    if (!arg.buffer) fail("vulkan: a tensor has no buffer");
    const VulkanBuffer& buffer = vulkan_buffer(*arg.buffer);
    const uint64_t bytes = static_cast<uint64_t>(arg.shape.numel()) * dtype_size(arg.dtype);
    if (arg.offset > buffer.size() || bytes > buffer.size() - arg.offset) {
        fail("vulkan: tensor ", arg.shape, " at offset ", arg.offset, " overruns its buffer of ", buffer.size(),
             " bytes");
    }
    const VkPhysicalDeviceLimits& l = limits();
    if (arg.offset % l.minStorageBufferOffsetAlignment != 0) {
        fail("vulkan: tensor offset ", arg.offset, " is not a multiple of minStorageBufferOffsetAlignment (",
             l.minStorageBufferOffsetAlignment, ")");
    }
    if (bytes > max_binding()) {
        fail("vulkan: tensor ", arg.shape, " (", bytes, " bytes) exceeds the largest binding (", max_binding(),
             " bytes; the device's maxStorageBufferRange is ", l.maxStorageBufferRange, ")");
    }
    // A zero-sized range is invalid: bind at least 4 bytes (never read, the grid is empty).
    const uint64_t range = std::max<uint64_t>(bytes, std::min<uint64_t>(4, buffer.size() - arg.offset));
    return Binding{buffer.handle(), arg.offset, range, access};
}

Binding Recording::read(const TensorArg& arg) const { return bind(arg, Access::Read); }

uint64_t binding_alignment(const VkPhysicalDeviceLimits& l) {
    return std::lcm<uint64_t>(std::max<uint64_t>(l.minStorageBufferOffsetAlignment, 1),
                              std::max<uint64_t>(l.minTexelBufferOffsetAlignment, 1));
}

uint64_t Recording::binding_alignment() const { return vk::binding_alignment(limits()); }

bool Recording::fits(const TensorArg& arg) const {
    return static_cast<uint64_t>(arg.shape.numel()) * dtype_size(arg.dtype) <= max_binding();
}

TensorArg span(const TensorArg& t, int64_t first, int64_t count) {
    TensorArg s = t;
    s.offset = t.offset + static_cast<uint64_t>(first) * dtype_size(t.dtype);
    s.shape = Shape{count};
    return s;
}

int64_t aligned_rows(const Recording& r, DType dtype, int64_t row_elems) {
    const uint64_t align = r.binding_alignment();
    const uint64_t row_bytes = static_cast<uint64_t>(row_elems) * dtype_size(dtype);
    return static_cast<int64_t>(align / std::gcd(align, row_bytes));
}

int64_t rows_per_binding(const Recording& r, DType dtype, int64_t row_elems, int64_t step, int64_t rows) {
    const uint64_t row_bytes = static_cast<uint64_t>(row_elems) * dtype_size(dtype);
    const int64_t fit = static_cast<int64_t>(r.max_binding() / std::max<uint64_t>(row_bytes, 1));
    if (fit >= rows) return rows;
    return fit / step * step;
}

bool Recording::texel_ok(const TensorArg& arg, bool vec4) const {
    if (!variants().texel_loads || !context_->physical.texel_views || arg.dtype == DType::I32) return false;
    const VkPhysicalDeviceLimits& l = limits();
    const uint64_t texel = dtype_size(arg.dtype) * (vec4 ? 4 : 1);
    const uint64_t bytes = static_cast<uint64_t>(arg.shape.numel()) * dtype_size(arg.dtype);
    const uint64_t range = (bytes + texel - 1) / texel * texel;
    const VulkanBuffer& buffer = vulkan_buffer(*arg.buffer);
    return arg.offset % l.minTexelBufferOffsetAlignment == 0 && range / texel <= l.maxTexelBufferElements &&
           arg.offset + range <= buffer.capacity() && bytes > 0;
}

Binding Recording::texel(const TensorArg& arg, bool vec4) const {
    if (!texel_ok(arg, vec4)) fail("vulkan: tensor ", arg.shape, " cannot be read through a texel view");
    Binding b = bind(arg, Access::Read);
    const uint64_t texel = dtype_size(arg.dtype) * (vec4 ? 4 : 1);
    b.bytes = (b.bytes + texel - 1) / texel * texel;  // whole texels; the tail is never read
    b.texel_format = PhysicalDevice::texel_format(arg.dtype, vec4);
    return b;
}
Binding Recording::write(const TensorArg& arg) const { return bind(arg, Access::Write); }

uint32_t Recording::add_id_check(IdCheck check) {
    if (!status_ || id_checks_.size() * sizeof(uint32_t) >= status_->size()) fail("vulkan: id check slots exhausted");
    id_checks_.push_back(std::move(check));
    return static_cast<uint32_t>(id_checks_.size() - 1);
}

Binding Recording::id_status() const { return Binding{status_->handle(), 0, status_->size(), Access::ReadWrite}; }

Grid Recording::line(uint64_t groups) const {
    const uint64_t max_x = limits().maxComputeWorkGroupCount[0];
    if (groups <= max_x) return Grid{static_cast<uint32_t>(std::max<uint64_t>(groups, 1)), 1, 1};
    const uint64_t y = ceil_div(groups, max_x);
    if (y > limits().maxComputeWorkGroupCount[1])
        fail("vulkan: a dispatch of ", groups, " workgroups exceeds the device's limits");
    return Grid{static_cast<uint32_t>(ceil_div(groups, y)), static_cast<uint32_t>(y), 1};
}

Grid Recording::line_for(uint64_t items, uint32_t per_group) const { return line(ceil_div(items, per_group)); }

void Recording::dispatch_words(const NodeArgs& args, PipelineKey key, std::vector<Binding> bindings,
                               std::vector<uint32_t> push, Grid groups) {
    if (push.size() * sizeof(uint32_t) > kPushConstantBytes)
        fail("vulkan: too many push constants for ", key.shader->name);
    for (int d = 0; d < 3; ++d) {
        if (groups[static_cast<size_t>(d)] > limits().maxComputeWorkGroupCount[d])
            fail("vulkan: node '", args.node.name, "' needs ", groups[static_cast<size_t>(d)],
                 " workgroups along axis ", d, ", more than the device allows");
    }
    Dispatch d;
    d.key = std::move(key);
    d.bindings = std::move(bindings);
    d.push = std::move(push);
    d.groups = groups;
    d.node = args.node.name;
    dispatches_.push_back(std::move(d));
}

}  // namespace cliprt::vk
