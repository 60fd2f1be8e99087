// The C++ weight generator must reproduce tools/synthetic_weights.py bit for bit; the reference
// values come from tools/make_synthetic_reference.py (tests/data/synthetic_reference.json).
#include "cliprt/synthetic_weights.h"

#include <gtest/gtest.h>

#include <bit>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cliprt/error.h"
#include "cliprt/weight_source.h"

namespace cliprt {
namespace {

nlohmann::json load_json(const std::string& relative_path) {
    const std::string path = std::string(CLIPRT_SOURCE_DIR) + "/" + relative_path;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return nlohmann::json::parse(in);
}

nlohmann::json load_reference() { return load_json("tests/data/synthetic_reference.json"); }

std::vector<uint32_t> bits_of(const float* values, size_t count) {
    std::vector<uint32_t> out(count);
    for (size_t i = 0; i < count; ++i) out[i] = std::bit_cast<uint32_t>(values[i]);
    return out;
}

// The error message of `body`, or "" when it does not throw a cliprt::Error.
template <typename Body>
std::string error_of(Body body) {
    try {
        body();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(SyntheticWeights, SplitMix64KnownValue) {
    // The first output of the reference splitmix64 generator seeded with 0.
    EXPECT_EQ(splitmix64(0), 0xe220a8397b1dcdafull);
    EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
    EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
}

TEST(SyntheticWeights, UniformInUnitInterval) {
    const uint64_t hash = fnv1a64("some.tensor");
    for (uint64_t i = 0; i < 10000; ++i) {
        const double u = synthetic_uniform(hash, i);
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
    }
}

TEST(SyntheticWeights, ReferenceMatchesRuleTable) {
    EXPECT_EQ(load_reference().at("rules"), load_json("models/synthetic_weight_rules.json").at("rules"))
        << "models/synthetic_weight_rules.json changed: rerun tools/make_synthetic_reference.py";
}

TEST(SyntheticWeights, MatchesPythonBitForBit) {
    const nlohmann::json reference = load_reference();
    ASSERT_GE(reference.at("tensors").size(), 12u);
    for (const auto& item : reference.at("tensors")) {
        const std::string name = item.at("name");
        const Shape shape(item.at("shape").get<std::vector<int64_t>>());
        SCOPED_TRACE(name + " " + shape.str());

        EXPECT_EQ(fnv1a64(name), std::stoull(item.at("fnv1a64").get<std::string>()));
        const SyntheticRule rule = synthetic_rule(name, shape);
        EXPECT_EQ(rule.center, item.at("center").get<double>());
        EXPECT_EQ(rule.scale, item.at("scale").get<double>());

        const Tensor values = synthetic_weight(name, shape);
        ASSERT_EQ(values.dtype(), DType::F32);
        ASSERT_EQ(values.shape(), shape);
        const auto first = item.at("first").get<std::vector<uint32_t>>();
        const auto last = item.at("last").get<std::vector<uint32_t>>();
        const size_t n = static_cast<size_t>(values.numel());
        ASSERT_LE(first.size(), n);
        ASSERT_LE(last.size(), n);
        EXPECT_EQ(bits_of(values.f32(), first.size()), first);
        EXPECT_EQ(bits_of(values.f32() + (n - last.size()), last.size()), last);
    }
}

TEST(SyntheticWeights, ValuesDependOnlyOnNameAndIndex) {
    const Tensor flat = synthetic_tensor("x", {12}, 0.5, 2.0);
    const Tensor grid = synthetic_tensor("x", {3, 4}, 0.5, 2.0);
    EXPECT_EQ(bits_of(flat.f32(), 12), bits_of(grid.f32(), 12));
    const Tensor other = synthetic_tensor("y", {12}, 0.5, 2.0);
    EXPECT_NE(bits_of(flat.f32(), 12), bits_of(other.f32(), 12));
}

TEST(SyntheticWeights, NoMatchingRuleIsAnError) {
    const std::string message = error_of([] { synthetic_weight("visual.mystery", {3, 4}); });
    EXPECT_NE(message.find("'visual.mystery'"), std::string::npos) << message;
    EXPECT_NE(message.find("[3, 4]"), std::string::npos) << message;
    // ".proj" only matches rank 2.
    EXPECT_NE(error_of([] { synthetic_weight("visual.proj", {16}); }), "");
}

TEST(SyntheticWeights, DegenerateFanInIsAnError) {
    EXPECT_NE(error_of([] { synthetic_weight("head.weight", {}); }).find("head.weight"), std::string::npos);
    EXPECT_NE(error_of([] { synthetic_weight("head.weight", {0, 4}); }), "");
    EXPECT_NE(error_of([] { synthetic_weight("head.weight", {4, 0}); }), "");
    EXPECT_NE(error_of([] { synthetic_weight("head.bias", {-1}); }), "");
    // Empty tensors with a constant scale are fine.
    EXPECT_EQ(synthetic_weight("head.bias", {0}).numel(), 0);
}

TEST(SyntheticWeights, WeightSourceServesGeneratedTensors) {
    SyntheticWeights source;
    EXPECT_TRUE(source.has("anything"));
    EXPECT_EQ(source.describe(), "synthetic weights");
    const Tensor got = source.get("visual.conv1.weight", {8, 3, 4, 4});
    const Tensor expected = synthetic_weight("visual.conv1.weight", {8, 3, 4, 4});
    EXPECT_EQ(bits_of(got.f32(), 384), bits_of(expected.f32(), 384));
    EXPECT_TRUE(source.unused_names().empty());
    EXPECT_THROW(source.get("visual.mystery", {2}), Error);
}

}  // namespace
}  // namespace cliprt
