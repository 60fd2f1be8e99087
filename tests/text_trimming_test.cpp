// open_clip text towers run at the prefix up to the pooled token (ClipModel::text_length_needed):
// the features must be those of the whole context, for every pooling that allows a prefix, and
// the poolings that do not (last, no causal mask) must keep the whole context.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cliprt/backends.h"
#include "cliprt/weight_source.h"
#include "models/clip_model.h"
#include "models/model_config.h"

namespace cliprt {
namespace {

ClipConfig text_config(const std::string& pool_type, bool causal) {
    const std::string json = R"({"embed_dim": 32,
        "vision_cfg": {"image_size": 32, "patch_size": 16, "width": 64, "layers": 1, "head_width": 32},
        "text_cfg": {"context_length": 77, "vocab_size": 1000, "width": 64, "heads": 2, "layers": 2,
                     "eos_id": 7, "pool_type": ")" +
                             pool_type + R"(", "no_causal_mask": )" + (causal ? "false" : "true") + "}}";
    return parse_model_config(json, "text-trimming");
}

// Three rows: a start token, words, the end token (the largest id, and eos_id 7 before it), padding.
Tensor ids_with_ends(const std::vector<int64_t>& ends) {
    const int64_t context = 77;
    std::vector<int32_t> ids(ends.size() * context, 0);
    for (size_t r = 0; r < ends.size(); ++r) {
        int32_t* row = ids.data() + r * context;
        row[0] = 998;
        for (int64_t i = 1; i < ends[r]; ++i) row[i] = static_cast<int32_t>(10 + (i * 37 + r) % 900);
        row[ends[r] - 1] = 7;  // eos
        row[ends[r]] = 999;    // the end token: the argmax
    }
    return Tensor::from_i32(Shape{static_cast<int64_t>(ends.size()), context}, ids);
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
    double worst = 0.0;
    for (int64_t i = 0; i < a.numel(); ++i)
        worst = std::max(worst, std::abs(static_cast<double>(a.f32()[i]) - static_cast<double>(b.f32()[i])));
    return worst;
}

void check_backend(const std::string& backend_name, double tolerance) {
    auto backend = create_backend(backend_name);
    const Tensor ids = ids_with_ends({5, 12, 9});  // end tokens at 5, 12 and 9; eos just before each
    struct Case {
        std::string pool;
        bool causal;
        int64_t length;  // the prefix that gives the same features
    };
    for (const Case& c : std::vector<Case>{{"argmax", true, 16},
                                           {"eos", true, 16},  // eos at 11: 12 tokens, rounded to 16
                                           {"first", true, 8},
                                           {"last", true, 77},
                                           {"argmax", false, 77}}) {
        SCOPED_TRACE(backend_name + " pool " + c.pool + (c.causal ? " causal" : " bidirectional"));
        auto model = std::make_shared<ClipModel>(text_config(c.pool, c.causal), std::make_shared<SyntheticWeights>());
        EXPECT_EQ(model->text_length_needed(ids), c.length);
        ClipSession trimmed(model, *backend);
        ClipSession full(model, *backend);
        full.set_trim_text(false);
        const Tensor a = trimmed.encode_text(ids, false);
        const Tensor b = full.encode_text(ids, false);
        ASSERT_EQ(a.shape(), b.shape());
        const Graph& ran = trimmed.last_compiled()->graph();
        EXPECT_EQ(ran.shape(ran.inputs().at(0))[1], c.length);
        EXPECT_LE(max_abs_diff(a, b), tolerance);
    }
    // A row without eos pools position 0 (torch's argmax of an all-false row): the first 8 tokens.
    std::vector<int32_t> no_eos(77, 0);
    no_eos[0] = 998;
    no_eos[1] = 3;
    auto model = std::make_shared<ClipModel>(text_config("eos", true), std::make_shared<SyntheticWeights>());
    EXPECT_EQ(model->text_length_needed(Tensor::from_i32(Shape{1, 77}, no_eos)), 8);
}

// The reference computes each token from the same operands in the same order either way.
TEST(TextTrimming, PrefixGivesTheWholeContextsFeaturesOnCpuRef) { check_backend("cpu-ref", 0.0); }

TEST(CpuFastTextTrimming, PrefixGivesTheWholeContextsFeatures) { check_backend("cpu", 1e-6); }

}  // namespace
}  // namespace cliprt
