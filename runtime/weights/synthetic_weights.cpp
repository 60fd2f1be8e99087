#include "cliprt/synthetic_weights.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "cliprt/embedded_file.h"
#include "cliprt/error.h"

namespace cliprt {

#include "embedded_rules.inc"

namespace {

enum class ScaleKind { Constant, FanIn, FanInRows };

struct Rule {
    std::string suffix;
    std::optional<int> rank;
    double center = 0.0;
    ScaleKind kind = ScaleKind::Constant;
    double scale = 0.0;  // for ScaleKind::Constant
};

std::vector<Rule> parse_rules() {
    if (synthetic_weight_rules_json_count != 1) fail("synthetic weight rules are not embedded");
    const auto table = nlohmann::json::parse(synthetic_weight_rules_json[0].contents);
    std::vector<Rule> rules;
    for (const auto& entry : table.at("rules")) {
        Rule rule;
        rule.suffix = entry.at("suffix").get<std::string>();
        if (entry.contains("rank")) rule.rank = entry.at("rank").get<int>();
        rule.center = entry.at("center").get<double>();
        const auto& scale = entry.at("scale");
        if (scale.is_string()) {
            const std::string kind = scale.get<std::string>();
            if (kind == "fan_in")
                rule.kind = ScaleKind::FanIn;
            else if (kind == "fan_in_rows")
                rule.kind = ScaleKind::FanInRows;
            else
                fail("synthetic weight rule '", rule.suffix, "' has unknown scale '", kind, "'");
        } else {
            rule.scale = scale.get<double>();
        }
        rules.push_back(std::move(rule));
    }
    return rules;
}

const std::vector<Rule>& rules() {
    static const std::vector<Rule> table = parse_rules();
    return table;
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_dims(const std::string& name, const Shape& shape) {
    for (int64_t d : shape.dims()) {
        if (d < 0) fail("synthetic weight '", name, "': negative dimension in shape ", shape);
    }
}

// Elements [begin, end) of the stream. numpy rounds the multiply and the add separately: clang
// fuses only within one expression and GCC only for targets with FMA (not baseline x86-64).
void fill(float* out, uint64_t hash, double center, double scale, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
        const double spread = scale * (2.0 * synthetic_uniform(hash, static_cast<uint64_t>(i)) - 1.0);
        out[i] = static_cast<float>(center + spread);
    }
}

}  // namespace

uint64_t fnv1a64(const std::string& text) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char byte : text) {
        h ^= byte;
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t splitmix64(uint64_t x) {
    uint64_t z = x + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double synthetic_uniform(uint64_t name_hash, uint64_t index) {
    return static_cast<double>(splitmix64(name_hash + index) >> 40) / 16777216.0;
}

SyntheticRule synthetic_rule(const std::string& name, const Shape& shape) {
    check_dims(name, shape);
    for (const Rule& rule : rules()) {
        if (!ends_with(name, rule.suffix) || (rule.rank && *rule.rank != shape.rank())) continue;
        double scale = rule.scale;
        if (rule.kind != ScaleKind::Constant) {
            if (shape.rank() == 0 || shape[0] == 0 || shape.numel() == 0)
                fail("synthetic weight '", name, "' of shape ", shape, ": fan-in scale needs a non-empty shape");
            const int64_t fan_in = rule.kind == ScaleKind::FanIn ? shape.numel() / shape[0] : shape[0];
            scale = std::sqrt(3.0 / static_cast<double>(fan_in));
        }
        return {rule.center, scale};
    }
    fail("no synthetic weight rule matches tensor '", name, "' of shape ", shape);
}

Tensor synthetic_tensor(const std::string& name, const Shape& shape, double center, double scale) {
    check_dims(name, shape);
    Tensor out(shape, DType::F32);
    float* values = out.f32();
    const uint64_t hash = fnv1a64(name);
    const int64_t n = out.numel();
    // Big tensors (ViT-H has ~1e9 parameters) are split over two threads.
    constexpr int64_t kParallelThreshold = int64_t{1} << 22;
    if (n < kParallelThreshold) {
        fill(values, hash, center, scale, 0, n);
    } else {
        std::thread helper(fill, values, hash, center, scale, n / 2, n);
        fill(values, hash, center, scale, 0, n / 2);
        helper.join();
    }
    return out;
}

Tensor synthetic_weight(const std::string& name, const Shape& shape) {
    const SyntheticRule rule = synthetic_rule(name, shape);
    return synthetic_tensor(name, shape, rule.center, rule.scale);
}

}  // namespace cliprt
