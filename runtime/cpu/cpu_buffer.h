// Host memory of the CPU backend: 64-byte aligned, zero-initialised.
#pragma once

#include <cstdint>
#include <memory>

#include "cliprt/backend.h"
#include "cliprt/tensor.h"

namespace cliprt::cpu {

class CpuBuffer : public Buffer {
public:
    explicit CpuBuffer(uint64_t bytes);
    // The host tensor's bytes in place, kept alive by the buffer (read-only: weights).
    explicit CpuBuffer(std::shared_ptr<const Tensor> host);
    uint64_t size() const override { return size_; }
    unsigned char* data() { return data_.get(); }
    const unsigned char* data() const { return data_.get(); }

private:
    struct AlignedDelete {
        bool owned;
        void operator()(unsigned char* p) const;
    };
    std::shared_ptr<const Tensor> host_;  // set when the buffer reads a host tensor in place
    uint64_t size_;
    std::unique_ptr<unsigned char, AlignedDelete> data_;
};

// The CpuBuffer behind a buffer of this backend (Error for another backend's buffer).
CpuBuffer& cpu_buffer(Buffer& buffer);
const CpuBuffer& cpu_buffer(const Buffer& buffer);

// Typed host pointers to a tensor argument; check at record time that it is a CPU buffer of the
// expected dtype and that the whole tensor lies inside it.
float* f32_data(const TensorArg& arg);
const int32_t* i32_data(const TensorArg& arg);
void* raw_data(const TensorArg& arg);

}  // namespace cliprt::cpu
