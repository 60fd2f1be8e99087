#include "cpu/cpu_buffer.h"

#include <cstring>
#include <new>

#include "cliprt/error.h"

namespace cliprt::cpu {

namespace {

constexpr std::align_val_t kAlignment{64};

}  // namespace

void CpuBuffer::AlignedDelete::operator()(unsigned char* p) const {
    if (owned) ::operator delete[](p, kAlignment);
}

CpuBuffer::CpuBuffer(uint64_t bytes)
    // At least one byte so that data() is a real, aligned allocation.
    : size_(bytes),
      data_(static_cast<unsigned char*>(::operator new[](bytes == 0 ? 1 : bytes, kAlignment)), AlignedDelete{true}) {
    std::memset(data_.get(), 0, bytes);
}

CpuBuffer::CpuBuffer(std::shared_ptr<const Tensor> host)
    : host_(std::move(host)),
      size_(host_->nbytes()),
      data_(static_cast<unsigned char*>(const_cast<void*>(host_->data())), AlignedDelete{false}) {}

CpuBuffer& cpu_buffer(Buffer& buffer) {
    auto* cpu = dynamic_cast<CpuBuffer*>(&buffer);
    if (cpu == nullptr) fail("cpu backend: buffer was not allocated by the cpu backend");
    return *cpu;
}

const CpuBuffer& cpu_buffer(const Buffer& buffer) { return cpu_buffer(const_cast<Buffer&>(buffer)); }

void* raw_data(const TensorArg& arg) {
    if (arg.buffer == nullptr) fail("cpu backend: tensor ", arg.shape, " has no buffer");
    CpuBuffer& buffer = cpu_buffer(*arg.buffer);
    const uint64_t bytes = static_cast<uint64_t>(arg.shape.numel()) * dtype_size(arg.dtype);
    if (arg.offset > buffer.size() || bytes > buffer.size() - arg.offset)
        fail("cpu backend: tensor ", arg.shape, " at byte offset ", arg.offset, " exceeds its buffer of ",
             buffer.size(), " bytes");
    return buffer.data() + arg.offset;
}

float* f32_data(const TensorArg& arg) {
    if (arg.dtype != DType::F32)
        fail("cpu backend: tensor ", arg.shape, " is ", dtype_name(arg.dtype), ", expected f32");
    return static_cast<float*>(raw_data(arg));
}

const int32_t* i32_data(const TensorArg& arg) {
    if (arg.dtype != DType::I32)
        fail("cpu backend: tensor ", arg.shape, " is ", dtype_name(arg.dtype), ", expected i32");
    return static_cast<const int32_t*>(raw_data(arg));
}

}  // namespace cliprt::cpu
