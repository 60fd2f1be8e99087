// Element types of tensors and the f16/bf16 <-> f32 conversions used by loaders and backends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace cliprt {

enum class DType : uint8_t { F32, F16, BF16, I32, I64 };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);
// Parses "f32", "f16", "bf16", "i32", "i64" (case-insensitive); throws Error otherwise.
DType parse_dtype(const std::string& text);

float f16_to_f32(uint16_t bits);
uint16_t f32_to_f16(float value);  // round to nearest even, overflow to inf
float bf16_to_f32(uint16_t bits);
uint16_t f32_to_bf16(float value);  // round to nearest even

}  // namespace cliprt
