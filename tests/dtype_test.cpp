// f16/bf16 conversions against numpy (f16) and torch's round-to-nearest-even (bf16), from
// tests/data/synthetic_reference.json (tools/make_synthetic_reference.py), plus exhaustive round trips.
#include "cliprt/dtype.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cliprt/error.h"
#include "cliprt/tensor.h"

namespace cliprt {
namespace {

nlohmann::json load_reference() {
    const std::string path = std::string(CLIPRT_SOURCE_DIR) + "/tests/data/synthetic_reference.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in);
}

bool f16_is_nan(uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0; }
bool bf16_is_nan(uint16_t h) { return (h & 0x7f80u) == 0x7f80u && (h & 0x7fu) != 0; }
float float_of(uint32_t bits) { return std::bit_cast<float>(bits); }

// NaN payloads differ between implementations (numpy keeps them, torch makes 0x7fc0): a NaN
// must stay a NaN of the same sign; everything else must match bit for bit.
TEST(DTypeConversion, F32ToF16MatchesNumpy) {
    const auto cases = load_reference().at("f32_to_f16");
    ASSERT_GT(cases.size(), 100u);
    for (const auto& c : cases) {
        const uint32_t in = c.at(0);
        const uint16_t expected = c.at(1);
        const uint16_t got = f32_to_f16(float_of(in));
        if (std::isnan(float_of(in))) {
            EXPECT_TRUE(f16_is_nan(got)) << std::hex << in << " -> " << got;
            EXPECT_EQ(got & 0x8000u, expected & 0x8000u) << std::hex << in;
        } else {
            EXPECT_EQ(got, expected) << std::hex << "f32 bits " << in;
        }
    }
}

TEST(DTypeConversion, F32ToBF16RoundsToNearestEven) {
    const auto cases = load_reference().at("f32_to_bf16");
    ASSERT_GT(cases.size(), 100u);
    for (const auto& c : cases) {
        const uint32_t in = c.at(0);
        const uint16_t expected = c.at(1);
        const uint16_t got = f32_to_bf16(float_of(in));
        if (std::isnan(float_of(in))) {
            EXPECT_TRUE(bf16_is_nan(got)) << std::hex << in << " -> " << got;
        } else {
            EXPECT_EQ(got, expected) << std::hex << "f32 bits " << in;
        }
    }
}

TEST(DTypeConversion, F16ToF32MatchesNumpy) {
    const auto cases = load_reference().at("f16_to_f32");
    ASSERT_GT(cases.size(), 10u);
    for (const auto& c : cases) {
        const uint16_t in = c.at(0);
        const uint32_t expected = c.at(1);
        const float got = f16_to_f32(in);
        if (f16_is_nan(in)) {
            EXPECT_TRUE(std::isnan(got)) << std::hex << in;
            EXPECT_EQ(std::signbit(got), (in & 0x8000u) != 0) << std::hex << in;
        } else {
            EXPECT_EQ(std::bit_cast<uint32_t>(got), expected) << std::hex << "f16 bits " << in;
        }
    }
}

TEST(DTypeConversion, EveryF16AndBF16RoundTrips) {
    for (uint32_t h = 0; h <= 0xffffu; ++h) {
        const auto bits = static_cast<uint16_t>(h);
        if (f16_is_nan(bits)) {
            ASSERT_TRUE(f16_is_nan(f32_to_f16(f16_to_f32(bits)))) << std::hex << h;
        } else {
            ASSERT_EQ(f32_to_f16(f16_to_f32(bits)), bits) << std::hex << h;
        }
        if (bf16_is_nan(bits)) {
            ASSERT_TRUE(bf16_is_nan(f32_to_bf16(bf16_to_f32(bits)))) << std::hex << h;
        } else {
            ASSERT_EQ(f32_to_bf16(bf16_to_f32(bits)), bits) << std::hex << h;
        }
    }
}

TEST(DTypeConversion, NaNStaysNaNThroughTensors) {
    const float nan = std::nanf("");
    const Tensor t = Tensor::from_f32({4}, {nan, -nan, 1.0f, -0.0f});
    for (DType dtype : {DType::F16, DType::BF16}) {
        const Tensor back = t.to_dtype(dtype).to_f32();
        EXPECT_TRUE(std::isnan(back.f32()[0])) << dtype_name(dtype);
        EXPECT_TRUE(std::isnan(back.f32()[1])) << dtype_name(dtype);
        EXPECT_EQ(back.f32()[2], 1.0f);
        EXPECT_EQ(std::bit_cast<uint32_t>(back.f32()[3]), 0x80000000u) << "negative zero keeps its sign";
    }
}

TEST(DTypeNames, SizesNamesAndParsing) {
    EXPECT_EQ(dtype_size(DType::F32), 4u);
    EXPECT_EQ(dtype_size(DType::F16), 2u);
    EXPECT_EQ(dtype_size(DType::BF16), 2u);
    EXPECT_EQ(dtype_size(DType::I32), 4u);
    EXPECT_EQ(dtype_size(DType::I64), 8u);
    for (DType d : {DType::F32, DType::F16, DType::BF16, DType::I32, DType::I64}) {
        EXPECT_EQ(parse_dtype(dtype_name(d)), d);
    }
    EXPECT_EQ(parse_dtype("BF16"), DType::BF16);
    EXPECT_THROW(parse_dtype("f64"), Error);
}

}  // namespace
}  // namespace cliprt
