// Zero-shot classification against open_clip's build_zero_shot_classifier on the committed fixture
// checkpoints (tests/data/zero_shot/goldens.json from tools/make_zero_shot_goldens.py), in the
// library and through `cliprt classify`; the template lists against open_clip's; and the CLI's
// one-line errors for bad input.
#include "models/zero_shot.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_runner.h"
#include "cliprt/error.h"
#include "zero_shot_goldens.h"

namespace cliprt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using test::golden_images;
using test::goldens;
using test::kSource;

TEST(ZeroShotTemplates, AreOpenClipsLists) {
    EXPECT_EQ(zero_shot_templates(TemplateSet::OpenAi),
              goldens()["templates"]["openai"].get<std::vector<std::string>>());
    EXPECT_EQ(zero_shot_templates(TemplateSet::Simple),
              goldens()["templates"]["simple"].get<std::vector<std::string>>());
    EXPECT_EQ(zero_shot_templates(TemplateSet::OpenAi).size(), 80u);
    EXPECT_EQ(zero_shot_templates(TemplateSet::Simple).size(), 7u);
    EXPECT_EQ(format_template(zero_shot_templates(TemplateSet::None)[0], "a {} b"), "a {} b");
    EXPECT_EQ(format_template("itap of a {}.", "cat"), "itap of a cat.");
    EXPECT_THROW(parse_template_set("imagenet"), Error);
}

TEST(ZeroShotLabels, SplitAndTrim) {
    EXPECT_EQ(split_labels("cat,dog , red car"), (std::vector<std::string>{"cat", "dog", "red car"}));
    EXPECT_EQ(split_labels("one"), (std::vector<std::string>{"one"}));
    EXPECT_THROW(split_labels(""), Error);
    EXPECT_THROW(split_labels(" , "), Error);
    EXPECT_THROW(split_labels("cat,,dog"), Error);
    EXPECT_THROW(split_labels("cat,"), Error);
}

TEST(ZeroShotMath, SoftmaxAndLogits) {
    const Tensor p = softmax_rows(Tensor::from_f32(Shape{1, 3}, {1000.0f, 1000.0f, 0.0f}));
    EXPECT_NEAR(p.f32()[0], 0.5f, 1e-7f);
    EXPECT_NEAR(p.f32()[2], 0.0f, 1e-7f);
    // Image features are normalized before the product: scale 2 and cosine 0.6 -> 1.2.
    const Tensor l = zero_shot_logits(Tensor::from_f32(Shape{1, 2}, {3.0f, 4.0f}),
                                      Tensor::from_f32(Shape{1, 2}, {0.0f, 1.0f}), 1.5f, 0.25f);
    EXPECT_NEAR(l.f32()[0], 1.5f * 0.8f + 0.25f, 1e-6f);
}

std::unique_ptr<ClipEmbedder> open_model(const std::string& model, int batch) {
    EmbedderOptions o;
    o.model = model;
    o.backend = "cpu";
    o.batch = batch;
    // tools/make_zero_shot_goldens.py runs the HF checkpoint through open_clip's preprocessing and
    // tokenizer (HfAsOpenClip); transformers' own are checked in tests/hf_semantics_test.cpp.
    if (model.find("hf_clip") != std::string::npos) o.preprocess = "open_clip";
    return ClipEmbedder::open(o);
}

class ZeroShotGolden : public ::testing::TestWithParam<int> {};

TEST_P(ZeroShotGolden, ProbabilitiesMatchOpenClip) {
    const json& m = goldens()["models"][static_cast<size_t>(GetParam())];
    auto embedder = open_model(kSource + "/" + m["model"].get<std::string>(), 32);
    const auto labels = goldens()["labels"].get<std::vector<std::string>>();
    const Tensor features = embedder->embed_image_files(golden_images(), true);
    for (const std::string set : {"openai", "simple", "none"}) {
        const Tensor classifier = zero_shot_classifier(*embedder, labels, parse_template_set(set));
        const Tensor probs = softmax_rows(zero_shot_logits(features, classifier, embedder->logit_scale()));
        const json& expected = m["probs"][set];
        ASSERT_EQ(probs.shape(), (Shape{static_cast<int64_t>(expected.size()), static_cast<int64_t>(labels.size())}));
        double worst = 0;
        for (size_t i = 0; i < expected.size(); ++i) {
            for (size_t k = 0; k < labels.size(); ++k) {
                worst = std::max(worst, std::abs(probs.f32()[i * labels.size() + k] - expected[i][k].get<double>()));
            }
        }
        EXPECT_LE(worst, 1e-4) << m["model"] << " templates " << set;
        std::printf("[ measured ] %s templates %s: max |p - p_open_clip| = %.3g\n",
                    m["model"].get<std::string>().c_str(), set.c_str(), worst);
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ZeroShotGolden, ::testing::Values(0, 1),
                         [](const auto& info) { return info.param == 0 ? "open_clip" : "hf"; });

// ---- the executable ------------------------------------------------------------------------

using test::CliRun;

// Runs cliprt with the arguments as given (bytes, not necessarily UTF-8).
CliRun cliprt(const std::vector<std::string>& args) {
    const fs::path dir = fs::temp_directory_path() / ("cliprt_zero_shot_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    CliRun r = test::run_cliprt(args, dir.string());
    fs::remove_all(dir);
    return r;
}

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(CLIPRT_CLI_PATH)) GTEST_SKIP() << "build the cliprt_cli target first";
    }
    const std::string model_ = kSource + "/tests/data/checkpoints/open_clip_f16";
};

// One line on stderr that contains `needle`, nothing on stdout, exit code 1.
void expect_one_line_error(const CliRun& r, const std::string& needle) {
    EXPECT_EQ(r.code(), 1) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("cliprt: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST_F(Cli, TokenizePrintsIds) {
    CliRun r = cliprt({"tokenize", "a photo of a cat"});
    EXPECT_EQ(r.code(), 0) << r.err;
    EXPECT_EQ(r.out, "49406 320 1125 539 320 2368 49407\n");
    r = cliprt({"tokenize", "--context", "9", "a photo of a cat", "x"});
    EXPECT_EQ(r.out, "49406 320 1125 539 320 2368 49407 0 0\n49406 343 49407 0 0 0 0 0 0\n");
    r = cliprt({"tokenize", "--json", "--model", model_, "a photo of a cat"});
    EXPECT_EQ(json::parse(r.out)[0]["ids"], json::parse("[49406, 320, 1125, 539, 320, 2368, 49407]"));
}

TEST_F(Cli, ClassifyMatchesOpenClip) {
    const json& m = goldens()["models"][0];
    std::vector<std::string> args = {"classify", "--model", model_, "--backend", "cpu", "--json", "--labels"};
    std::string labels;
    for (const auto& l : goldens()["labels"]) labels += (labels.empty() ? "" : ",") + l.get<std::string>();
    args.push_back(labels);
    args.push_back("--image");
    for (const auto& p : golden_images()) args.push_back(p);
    for (const std::string set : {"openai", "simple", "none"}) {
        std::vector<std::string> a = args;
        a.insert(a.begin() + 1, {"--templates", set});
        const CliRun r = cliprt(a);
        ASSERT_EQ(r.code(), 0) << r.err;
        const json out = json::parse(r.out);
        ASSERT_EQ(out["results"].size(), golden_images().size());
        for (size_t i = 0; i < golden_images().size(); ++i) {
            for (size_t k = 0; k < goldens()["labels"].size(); ++k) {
                EXPECT_NEAR(out["results"][i]["probs"][k].get<double>(), m["probs"][set][i][k].get<double>(), 1e-4)
                    << set << " image " << i << " label " << k;
            }
        }
    }
}

TEST_F(Cli, EmbedMatchesTheLibrary) {
    const CliRun r = cliprt({"embed", "--model", model_, "--backend", "cpu", "--json", "--text", "a photo of a cat"});
    ASSERT_EQ(r.code(), 0) << r.err;
    const auto got = json::parse(r.out)["embeddings"][0]["embedding"].get<std::vector<double>>();
    const auto want = goldens()["models"][0]["text_embeddings"][0].get<std::vector<double>>();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4);
}

TEST_F(Cli, MissingImageIsOneLine) {
    expect_one_line_error(cliprt({"classify", "--model", model_, "--backend", "cpu", "--labels", "cat,dog", "--image",
                                  "/nonexistent/cat.png"}),
                          "/nonexistent/cat.png");
    expect_one_line_error(cliprt({"embed", "--model", model_, "--backend", "cpu", "--image", "/nonexistent/cat.png"}),
                          "/nonexistent/cat.png");
}

TEST_F(Cli, NonUtf8TextIsOneLine) {
    const std::string latin1 = "caf\xe9 au lait";  // Latin-1 bytes, not UTF-8
    expect_one_line_error(cliprt({"tokenize", latin1}), "UTF-8");
    expect_one_line_error(cliprt({"embed", "--model", model_, "--backend", "cpu", "--text", latin1}), "UTF-8");
    expect_one_line_error(cliprt({"classify", "--model", model_, "--backend", "cpu", "--labels", "cat," + latin1,
                                  "--image", golden_images()[0]}),
                          "UTF-8");
}

TEST_F(Cli, EmptyLabelsAreOneLine) {
    for (const std::string labels : {"", ",", " , ", "cat,,dog"}) {
        expect_one_line_error(cliprt({"classify", "--model", model_, "--backend", "cpu", "--labels", labels, "--image",
                                      golden_images()[0]}),
                              "label");
    }
    expect_one_line_error(cliprt({"classify", "--model", model_, "--backend", "cpu", "--labels", "cat", "--templates",
                                  "imagenet", "--image", golden_images()[0]}),
                          "imagenet");
}

TEST_F(Cli, EmbedNeedsImagesOrTexts) {
    expect_one_line_error(cliprt({"embed", "--model", model_, "--backend", "cpu"}), "--image");
}

}  // namespace
}  // namespace cliprt
