// ClipEmbedder against what open_clip / transformers compute on the committed fixture checkpoints
// (tests/data/zero_shot/goldens.json, written by tools/make_zero_shot_goldens.py): image files
// through the model's preprocessing, texts through its tokenizer, batches split into forwards;
// and the identity that tells models apart.
#include "models/clip_embedder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cliprt/error.h"
#include "zero_shot_goldens.h"

namespace cliprt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using test::golden_images;
using test::goldens;
using test::kSource;

std::unique_ptr<ClipEmbedder> open_model(const std::string& model, int batch = 8, const std::string& weights = "",
                                         const std::string& preprocess = "") {
    EmbedderOptions o;
    o.model = model;
    o.weights = weights;
    o.backend = "cpu";
    o.batch = batch;
    o.preprocess = preprocess;
    return ClipEmbedder::open(o);
}

// tools/make_zero_shot_goldens.py runs the HF checkpoint through open_clip's preprocessing and
// tokenizer (HfAsOpenClip); transformers' own semantics are checked in tests/hf_semantics_test.cpp.
std::string golden_preprocess(const std::string& model) {
    return model.find("hf_clip") != std::string::npos ? "open_clip" : "";
}

double cosine(const float* a, const std::vector<float>& b) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < b.size(); ++i) {
        ab += static_cast<double>(a[i]) * b[i];
        aa += static_cast<double>(a[i]) * a[i];
        bb += static_cast<double>(b[i]) * b[i];
    }
    return ab / std::sqrt(aa * bb);
}

// Every row of `got` against the golden rows: cosine >= 0.99999; returns the smallest.
double min_cosine(const Tensor& got, const json& expected) {
    EXPECT_EQ(got.shape()[0], static_cast<int64_t>(expected.size()));
    double worst = 1.0;
    for (size_t i = 0; i < expected.size(); ++i) {
        const auto row = expected[i].get<std::vector<float>>();
        EXPECT_EQ(got.shape()[1], static_cast<int64_t>(row.size()));
        worst = std::min(worst, cosine(got.f32() + i * row.size(), row));
    }
    return worst;
}

class EmbedderGolden : public ::testing::TestWithParam<int> {
protected:
    const json& model() const { return goldens()["models"][static_cast<size_t>(GetParam())]; }
    std::string path() const { return kSource + "/" + model()["model"].get<std::string>(); }
};

TEST_P(EmbedderGolden, ImageFilesMatchTheLibrary) {
    // Five images in forwards of 2, 2 and 1.
    auto embedder = open_model(path(), 2, "", golden_preprocess(path()));
    const Tensor got = embedder->embed_image_files(golden_images(), /*normalize=*/false);
    const double worst = min_cosine(got, model()["image_embeddings"]);
    EXPECT_GE(worst, 0.99999) << path();
    std::printf("[ measured ] %s images: min cosine %.9f\n", path().c_str(), worst);
    // The same images in one forward give the same numbers.
    auto single = open_model(path(), 8, "", golden_preprocess(path()));
    const Tensor once = single->embed_image_files(golden_images(), false);
    for (int64_t i = 0; i < got.numel(); ++i) ASSERT_NEAR(got.f32()[i], once.f32()[i], 1e-5f) << i;
}

TEST_P(EmbedderGolden, TextsMatchTheLibrary) {
    auto embedder = open_model(path(), 3, "", golden_preprocess(path()));
    const auto texts = goldens()["texts"].get<std::vector<std::string>>();
    const Tensor got = embedder->embed_texts(texts, false);
    const double worst = min_cosine(got, model()["text_embeddings"]);
    EXPECT_GE(worst, 0.99999) << path();
    std::printf("[ measured ] %s texts: min cosine %.9f\n", path().c_str(), worst);
    const Tensor unit = embedder->embed_texts(texts, true);
    for (int64_t i = 0; i < unit.shape()[0]; ++i) {
        double norm = 0;
        for (int64_t j = 0; j < unit.shape()[1]; ++j) norm += std::pow(unit.f32()[i * unit.shape()[1] + j], 2);
        EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-5);
    }
    EXPECT_NEAR(embedder->logit_scale(), model()["logit_scale"].get<double>(), 1e-4);
}

TEST_P(EmbedderGolden, PreparedImagesEqualFiles) {
    auto embedder = open_model(path(), 8, "", golden_preprocess(path()));
    std::vector<Tensor> images;
    for (const auto& p : golden_images()) images.push_back(embedder->load_image(p));
    const Tensor a = embedder->embed_images(stack_images(images), true);
    const Tensor b = embedder->embed_image_files(golden_images(), true);
    for (int64_t i = 0; i < a.numel(); ++i) ASSERT_NEAR(a.f32()[i], b.f32()[i], 1e-6f);
    EXPECT_THROW(embedder->embed_images(Tensor(Shape{1, 3, 8, 8}, DType::F32)), Error);
    EXPECT_THROW(embedder->embed_image_files({kSource + "/tests/data/images/bad/truncated.png"}), Error);
    EXPECT_THROW(embedder->embed_texts({std::string("caf\xe9")}), Error);  // Latin-1, not UTF-8
}

INSTANTIATE_TEST_SUITE_P(Fixtures, EmbedderGolden, ::testing::Values(0, 1),
                         [](const auto& info) { return info.param == 0 ? "open_clip" : "hf"; });

// A scratch directory removed at the end of the test.
struct Scratch {
    fs::path dir = fs::temp_directory_path() / ("cliprt_embedder_" + std::to_string(::getpid()));
    Scratch() { fs::create_directories(dir); }
    ~Scratch() { fs::remove_all(dir); }
};

fs::path copy_fixture(const Scratch& s, const std::string& name, const std::string& as) {
    const fs::path to = s.dir / as;
    fs::copy(kSource + "/tests/data/checkpoints/" + name, to, fs::copy_options::recursive);
    return to;
}

TEST(EmbedderIdentity, FollowsContentsNotPaths) {
    Scratch s;
    const std::string oc = kSource + "/tests/data/checkpoints/open_clip_f16";
    const std::string id = open_model(oc)->identity();
    EXPECT_EQ(id.rfind("vit-32-24-", 0), 0u) << id;
    EXPECT_EQ(open_model(oc)->identity(), id);
    // Moved elsewhere: same identity.
    EXPECT_EQ(open_model(copy_fixture(s, "open_clip_f16", "moved").string())->identity(), id);
    // Another checkpoint of the same shape: different.
    EXPECT_NE(open_model(kSource + "/tests/data/checkpoints/hf_clip_f16")->identity(), id);
    // One weight byte changed (the last byte of the data section): different.
    const fs::path edited = copy_fixture(s, "open_clip_f16", "edited");
    {
        std::fstream f(edited / "open_clip_model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(-1, std::ios::end);
        char c = 0;
        f.get(c);
        f.seekp(-1, std::ios::end);
        f.put(static_cast<char>(c ^ 1));
    }
    EXPECT_NE(open_model(edited.string())->identity(), id);
    // Synthetic weights: fixed per config; another preprocessing (the model's mean/std) changes it.
    const fs::path config = s.dir / "tiny.json";
    std::ifstream in(fs::path(oc) / "open_clip_config.json");
    json j = json::parse(in);
    std::ofstream(config) << j.dump();
    const std::string synthetic = open_model(config.string(), 8, "synthetic")->identity();
    EXPECT_EQ(open_model(config.string(), 8, "synthetic")->identity(), synthetic);
    EXPECT_NE(synthetic, id);
    j["preprocess_cfg"]["mean"] = {0.5, 0.5, 0.5};
    std::ofstream(config) << j.dump();
    EXPECT_NE(open_model(config.string(), 8, "synthetic")->identity(), synthetic);
}

TEST(EmbedderHfDirectory, ReadsPreprocessorConfig) {
    Scratch s;
    const fs::path dir = copy_fixture(s, "hf_clip_f16", "hf");
    auto write = [&](const json& j) { std::ofstream(dir / "preprocessor_config.json") << j.dump(); };
    json pp = {{"crop_size", {{"height", 32}, {"width", 32}}},
               {"do_center_crop", true},
               {"do_normalize", true},
               {"do_resize", true},
               {"image_mean", {0.5, 0.25, 0.125}},
               {"image_std", {0.2, 0.3, 0.4}},
               {"resample", 2},
               {"rescale_factor", 1.0 / 255},
               {"size", {{"shortest_edge", 32}}}};
    write(pp);
    {
        // transformers' semantics, the directory's own (tests/hf_semantics_test.cpp checks the numbers).
        auto e = open_model(dir.string());
        EXPECT_EQ(e->preprocess().semantics, PreprocessSemantics::Transformers);
        EXPECT_EQ(e->preprocess().height, 32);
        EXPECT_EQ(e->preprocess().transformers.shortest_edge, 32);
        EXPECT_EQ(e->preprocess().transformers.resample, Interpolation::Bilinear);
        EXPECT_FLOAT_EQ(e->preprocess().mean[1], 0.25f);
        EXPECT_FLOAT_EQ(e->preprocess().std[2], 0.4f);
    }
    auto open_clip = [&] {
        EmbedderOptions o;
        o.model = dir.string();
        o.backend = "cpu";
        o.preprocess = "open_clip";
        return ClipEmbedder::open(o);
    };
    {
        // open_clip's transform on the same settings.
        auto e = open_clip();
        EXPECT_EQ(e->preprocess().semantics, PreprocessSemantics::OpenClip);
        EXPECT_EQ(e->preprocess().resize_mode, ResizeMode::Shortest);
        EXPECT_EQ(e->preprocess().interpolation, Interpolation::Bilinear);
        EXPECT_FLOAT_EQ(e->preprocess().mean[1], 0.25f);
    }
    pp["size"] = {{"shortest_edge", 40}};  // resize to 40, crop 32: transformers only
    write(pp);
    EXPECT_NO_THROW(open_model(dir.string()));
    EXPECT_THROW(open_clip(), Error);
    pp["size"] = 32;
    pp["crop_size"] = 24;  // the model takes 32x32
    write(pp);
    EXPECT_THROW(open_model(dir.string()), Error);
    EXPECT_THROW(open_clip(), Error);
    pp["crop_size"] = 32;
    pp["resample"] = 0;
    write(pp);
    EXPECT_NO_THROW(open_model(dir.string()));  // NEAREST: Pillow's, as transformers runs it
    try {
        open_clip();
        FAIL() << "resample 0 accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("resample"), std::string::npos) << e.what();
    }
}

TEST(EmbedderVocabulary, SmallVocabularyRefusesTextButEmbedsImages) {
    // hf_clip_sharded_bf16 has 1000 ids; the built-in BPE makes larger ones.
    auto e = open_model(kSource + "/tests/data/checkpoints/hf_clip_sharded_bf16");
    try {
        e->embed_texts({"a photo of a cat"});
        FAIL() << "ids past the vocabulary accepted";
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("vocabulary has 1000"), std::string::npos) << err.what();
    }
    EXPECT_EQ(e->embed_image_files(golden_images()).shape(), (Shape{5, 8}));
}

TEST(EmbedderModelText, ContextLengthWithoutWeights) {
    EXPECT_EQ(model_text("ViT-B-32").context_length, 77);
    EXPECT_EQ(model_text(kSource + "/tests/data/checkpoints/hf_clip_sharded_bf16").context_length, 20);
    EXPECT_TRUE(model_text("ViT-B-32").files.empty());
    EXPECT_THROW(model_text("no-such-model"), Error);
    // CLIPA's text tower needs bert-base-uncased's WordPiece: said, not silently replaced by the BPE.
    EXPECT_NE(model_text("ViT-L-14-CLIPA").unsupported.find("bert-base-uncased"), std::string::npos);
    EXPECT_NE(model_text("ViT-L-14-worldwide").unsupported.find("google/mt5-base"), std::string::npos);
    // The BPE with another cleaning than 'lower' is not the tokenizer the model was trained with either.
    Scratch s;
    std::ifstream in(kSource + "/tests/data/checkpoints/open_clip_f16/open_clip_config.json");
    json j = json::parse(in);
    j["model_cfg"]["text_cfg"]["tokenizer_kwargs"] = {{"clean", "canonicalize"}};
    std::ofstream(s.dir / "canonicalize.json") << j.dump();
    EXPECT_NE(model_text((s.dir / "canonicalize.json").string()).unsupported.find("canonicalize"), std::string::npos);
    j["model_cfg"]["text_cfg"]["tokenizer_kwargs"] = {{"clean", "lower"}};
    std::ofstream(s.dir / "lower.json") << j.dump();
    EXPECT_TRUE(model_text((s.dir / "lower.json").string()).unsupported.empty());
    EXPECT_TRUE(model_text("ViT-L-14").unsupported.empty());
}

}  // namespace
}  // namespace cliprt
