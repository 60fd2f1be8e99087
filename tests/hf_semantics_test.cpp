// A transformers CLIPModel directory gives transformers' answers (tests/data/hf_semantics, written
// by tools/make_hf_semantics_fixtures.py with transformers' CLIPImageProcessorPil, CLIPTokenizer and
// CLIPModel): the image processor's steps on every Pillow mode, CLIPTokenizerFast ids from
// tokenizer.json or vocab.json + merges.txt, features and zero-shot probabilities of a tiny
// model; CMYK / YCCK JPEGs as Pillow decodes them, under both semantics.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "cliprt/error.h"
#include "cliprt/image.h"
#include "models/clip_embedder.h"
#include "models/hf_clip_processor.h"
#include "models/hf_clip_tokenizer.h"
#include "models/zero_shot.h"

namespace cliprt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kSource = CLIPRT_SOURCE_DIR;
const std::string kData = kSource + "/tests/data";

// JPEG inputs that stb_image decodes (not Pillow's libjpeg) differ by a few levels: the bound of
// tests/image_test.cpp (measured there: at most 3 levels, mean at most 0.146 after preprocessing).
constexpr int kJpegMaxAbsDiff = 3;
constexpr double kJpegMeanAbsDiff = 0.15;

const json& manifest() {
    static const json data = [] {
        std::ifstream in(kData + "/hf_semantics/manifest.json");
        if (!in) throw std::runtime_error("cannot open tests/data/hf_semantics/manifest.json");
        return json::parse(in);
    }();
    return data;
}

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("cliprt_hfsem_" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

std::string gunzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("cannot open " + path);
    std::string out;
    char buf[1 << 16];
    for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    gzclose(f);
    return out;
}

// The tiny CLIPModel directory transformers ran: hf_clip_f16's config and weights, the image
// processor and tokenizer files of tests/data/hf_semantics/model.
fs::path make_model_dir(const fs::path& at, bool with_tokenizer_json = true) {
    fs::create_directories(at);
    for (const char* f : {"config.json", "model.safetensors"})
        fs::copy_file(kData + "/checkpoints/hf_clip_f16/" + f, at / f);
    for (const char* f : {"preprocessor_config.json", "tokenizer_config.json"})
        fs::copy_file(kData + "/hf_semantics/model/" + f, at / f);
    if (with_tokenizer_json)
        std::ofstream(at / "tokenizer.json") << gunzip(kData + "/hf_semantics/model/tokenizer.json.gz");
    return at;
}

// vocab.json + merges.txt of the built-in vocabulary with the hub's names for the special tokens.
void write_vocabulary_files(const fs::path& dir) {
    ClipTokenizer::VocabularyData data = ClipTokenizer::builtin_vocabulary();
    data.entries[data.entries.size() - 2] = "<|startoftext|>";
    data.entries[data.entries.size() - 1] = "<|endoftext|>";
    json vocab = json::object();
    for (size_t i = 0; i < data.entries.size(); ++i) vocab[data.entries[i]] = i;
    std::ofstream(dir / "vocab.json") << vocab.dump();
    std::ofstream merges(dir / "merges.txt");
    merges << "#version: 0.2\n";
    for (const auto& [a, b] : data.merges) merges << a << " " << b << "\n";
}

uint32_t crc32_of(const std::vector<uint8_t>& bytes) {
    return static_cast<uint32_t>(::crc32(0L, bytes.data(), static_cast<uInt>(bytes.size())));
}

// The PreprocessConfig cliprt reads from a preprocessor_config.json with these settings, for a
// model whose input is the processor's output size.
PreprocessConfig transformers_config(const json& config, int height, int width, const fs::path& scratch) {
    fs::create_directories(scratch);
    std::ofstream(scratch / "preprocessor_config.json") << config.dump();
    ClipConfig model;
    model.vision.image_size = height;
    model.vision.image_width = width;
    return hf_clip_preprocess(scratch.string(), model, PreprocessSemantics::Transformers);
}

struct Diff {
    int max = 0;
    double mean = 0;
};

Diff diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    Diff d;
    double sum = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        const int v = std::abs(int{a[i]} - int{b[i]});
        d.max = std::max(d.max, v);
        sum += v;
    }
    d.mean = a.empty() ? 0 : sum / a.size();
    return d;
}

bool stb_jpeg(const Image& image, const std::string& input) {
    return input.size() > 4 && input.substr(input.size() - 4) == ".jpg" && image.mode != PixelMode::CMYK;
}

TEST(TransformersImageProcessor, MatchesPillowBackendOnEveryMode) {
    TempDir tmp;
    int exact = 0, jpeg = 0;
    Diff worst_jpeg;
    for (const json& c : manifest()["image_cases"]) {
        const std::string input = c["input"], config_name = c["config_name"];
        SCOPED_TRACE(input + " / " + config_name);
        const Image image = decode_image_file(kData + "/" + input);
        EXPECT_STREQ(pixel_mode_name(image.mode), c["pil_mode"].get<std::string>().c_str());
        const auto shape = c["shape"].get<std::vector<int>>();
        const PreprocessConfig config = transformers_config(c["config"], shape[1], shape[2], tmp.path / "pp");
        const std::vector<uint8_t> rgb = preprocess_to_rgb8(image, config);
        ASSERT_EQ(rgb.size(), static_cast<size_t>(shape[0]) * shape[1] * shape[2]);
        const Tensor values = normalize_rgb8(rgb, shape[1], shape[2], config);
        const bool lossy = stb_jpeg(image, input);
        if (lossy) {
            const Image golden = decode_image_file(kData + "/hf_semantics/goldens/" + c["golden"].get<std::string>());
            const Diff d = diff(rgb, golden.pixels);
            EXPECT_LE(d.max, kJpegMaxAbsDiff);
            EXPECT_LE(d.mean, kJpegMeanAbsDiff);
            worst_jpeg.max = std::max(worst_jpeg.max, d.max);
            worst_jpeg.mean = std::max(worst_jpeg.mean, d.mean);
            ++jpeg;
        } else {
            EXPECT_EQ(crc32_of(rgb), c["crc32_hwc"].get<uint32_t>()) << "the uint8 image differs from transformers'";
            ++exact;
        }
        // pixel_values: exact where the pixels are (rescale in double, normalize in f32 as numpy does).
        const double std_min = std::min({config.std[0], config.std[1], config.std[2]});
        const double tolerance = lossy ? kJpegMaxAbsDiff * config.transformers.rescale_factor / std_min : 0.0;
        for (const json& s : c["samples"]) {
            const int ch = s[0], y = s[1], x = s[2];
            const float got = values.f32()[(int64_t{ch} * shape[1] + y) * shape[2] + x];
            EXPECT_LE(std::abs(got - s[3].get<double>()), tolerance) << s.dump();
        }
    }
    std::printf(
        "[ transformers ] %d cases exact (uint8 CRC and pixel_values samples), %d stb-decoded JPEG cases "
        "within max %d / mean %.4f levels\n",
        exact, jpeg, worst_jpeg.max, worst_jpeg.mean);
    EXPECT_GT(exact, 140);
    EXPECT_GT(jpeg, 10);
}

TEST(CmykJpeg, OpenClipTransformMatchesPillow) {
    for (const json& c : manifest()["open_clip_cmyk_cases"]) {
        const std::string input = c["input"];
        SCOPED_TRACE(input + " @" + std::to_string(c["size"].get<int>()));
        const Image image = decode_image_file(kData + "/" + input);
        ASSERT_EQ(image.mode, PixelMode::CMYK);
        PreprocessConfig config;
        config.height = config.width = c["size"];
        const std::vector<uint8_t> rgb = preprocess_to_rgb8(image, config);
        const Image golden = decode_image_file(kData + "/hf_semantics/goldens/" + c["golden"].get<std::string>());
        const Diff d = diff(rgb, golden.pixels);
        std::printf("[ cmyk ] %-40s open_clip %3d: max %d mean %.4f levels from Pillow + open_clip\n", input.c_str(),
                    config.height, d.max, d.mean);
        // libjpeg here and in Pillow: the same samples, so the same pixels.
        EXPECT_EQ(crc32_of(rgb), c["crc32_hwc"].get<uint32_t>());
        const Tensor values = normalize_rgb8(rgb, config.height, config.width, config);
        for (const json& s : c["samples"]) {
            const int ch = s[0], y = s[1], x = s[2];
            EXPECT_EQ(values.f32()[(int64_t{ch} * config.height + y) * config.width + x], s[3].get<float>())
                << s.dump();
        }
    }
}

TEST(CmykJpeg, BadFilesGiveOneError) {
    const std::string path = kData + "/hf_semantics/inputs/cmyk_k.jpg";
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 1000u);
    // Cut short (no EOI: refused like every truncated JPEG), and entropy data overwritten (libjpeg's
    // error or its recovered warning, never a crash).
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2));
    EXPECT_THROW(decode_image(cut.data(), cut.size(), "cut.jpg"), Error);
    for (size_t start : {bytes.size() / 3, bytes.size() / 2, bytes.size() - 40}) {
        std::vector<uint8_t> scrambled = bytes;
        for (size_t i = start; i < start + 24 && i + 2 < scrambled.size(); ++i)
            scrambled[i] = static_cast<uint8_t>(i * 37);
        try {
            const Image image = decode_image(scrambled.data(), scrambled.size(), "scrambled.jpg");
            EXPECT_EQ(image.pixels.size(), static_cast<size_t>(image.width) * image.height * 4);
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("scrambled.jpg"), std::string::npos) << e.what();
        }
    }
}

const std::vector<std::string>& texts() {
    static const auto t = [] {
        std::vector<std::string> out;
        for (const json& c : manifest()["token_cases"]) out.push_back(c["text"]);
        return out;
    }();
    return t;
}

void expect_token_ids(const TextTokenizer& tokenizer, const std::string& what) {
    int long_texts = 0;
    for (const json& c : manifest()["token_cases"]) {
        const std::string text = c["text"];
        const Tensor row = tokenizer.tokenize({text}, 77);
        const std::vector<int32_t> got(row.i32(), row.i32() + 77);
        EXPECT_EQ(got, c["ids"].get<std::vector<int32_t>>()) << what << ": " << text;
        long_texts += c["untruncated_length"].get<int>() > 77;
    }
    EXPECT_GE(long_texts, 2);
}

TEST(TransformersTokenizer, IdsFromTokenizerJson) {
    TempDir tmp;
    const fs::path dir = make_model_dir(tmp.path / "model");
    const ModelText text = model_text(dir.string());
    EXPECT_EQ(text.semantics, PreprocessSemantics::Transformers);
    EXPECT_EQ(text.source, "tokenizer.json");
    expect_token_ids(*text.tokenizer, "tokenizer.json");
}

TEST(TransformersTokenizer, IdsFromVocabAndMergesAsTransformersConvertsThem) {
    TempDir tmp;
    const fs::path dir = make_model_dir(tmp.path / "model", /*with_tokenizer_json=*/false);
    write_vocabulary_files(dir);
    const ModelText text = model_text(dir.string());
    EXPECT_EQ(text.source, "vocab.json + merges.txt");
    expect_token_ids(*text.tokenizer, "vocab.json + merges.txt");
    // The built-in BPE with the same rules (--preprocess transformers on an open_clip model).
    expect_token_ids(*builtin_transformers_tokenizer().tokenizer, "built-in BPE");
    // open_clip's rules on the same files unescape HTML: other ids for the entity text.
    const ModelText open_clip = model_text(dir.string(), "open_clip");
    EXPECT_EQ(open_clip.semantics, PreprocessSemantics::OpenClip);
    const std::string html = texts()[1];
    EXPECT_NE(open_clip.tokenizer->tokens(html, 77), text.tokenizer->tokens(html, 77));
    EXPECT_THROW(text.tokenizer->tokens(std::string("caf\xe9"), 77), Error);  // Latin-1, not UTF-8
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

std::unique_ptr<ClipEmbedder> open_model(const fs::path& dir, const std::string& preprocess = "") {
    EmbedderOptions o;
    o.model = dir.string();
    o.backend = "cpu";
    o.preprocess = preprocess;
    return ClipEmbedder::open(o);
}

std::vector<std::string> model_images() {
    std::vector<std::string> paths;
    for (const json& name : manifest()["model"]["images"]) paths.push_back(kData + "/" + name.get<std::string>());
    return paths;
}

// Smallest cosine of the rows of `got` to `expected`, printing each below 0.9999999.
double min_cosine(const Tensor& got, const json& expected, const std::vector<std::string>& names, const char* what) {
    double worst = 1.0;
    for (size_t i = 0; i < expected.size(); ++i) {
        const double c = cosine(got.f32() + i * got.shape()[1], expected[i].get<std::vector<float>>());
        if (c < 0.9999999) std::printf("[ %s ] %-45s cosine %.7f\n", what, names[i].c_str(), c);
        worst = std::min(worst, c);
    }
    return worst;
}

TEST(HfClipDirectory, FeaturesAndZeroShotMatchTransformers) {
    TempDir tmp;
    const fs::path dir = make_model_dir(tmp.path / "model");
    const json& m = manifest()["model"];
    auto embedder = open_model(dir);
    EXPECT_EQ(embedder->preprocess().semantics, PreprocessSemantics::Transformers);
    const std::vector<std::string> images = model_images();
    const Tensor image_features = embedder->embed_image_files(images, false);
    const double image_cos = min_cosine(image_features, m["image_features"], images, "transformers");
    EXPECT_GE(image_cos, 0.99999);
    const Tensor text_features = embedder->embed_texts(texts(), false);
    const double text_cos = min_cosine(text_features, m["text_features"], texts(), "transformers");
    EXPECT_GE(text_cos, 0.99999);

    // Zero-shot: the labels alone (no templates), softmax of logit_scale * cosine, as transformers'
    // logits_per_image.
    const auto labels = m["labels"].get<std::vector<std::string>>();
    const Tensor classifier = zero_shot_classifier(*embedder, labels, TemplateSet::None);
    const Tensor probs =
        softmax_rows(zero_shot_logits(embedder->embed_image_files(images, true), classifier, embedder->logit_scale()));
    // Lossless inputs and libjpeg-decoded CMYK within 1e-4; a YCbCr JPEG (stb_image, not Pillow's
    // libjpeg) moves this 32-pixel random model's probabilities by more, so it is reported apart.
    double worst_prob = 0, worst_stb_jpeg = 0;
    for (size_t i = 0; i < images.size(); ++i) {
        const auto expected = m["zero_shot_probs"][i].get<std::vector<double>>();
        const bool stb = images[i].find("motorcycle_741x500.jpg") != std::string::npos;
        double& worst = stb ? worst_stb_jpeg : worst_prob;
        for (size_t j = 0; j < labels.size(); ++j)
            worst = std::max(worst, std::abs(probs.f32()[i * labels.size() + j] - expected[j]));
    }
    EXPECT_LE(worst_prob, 1e-4);
    EXPECT_LE(worst_stb_jpeg, 5e-3);  // measured 3.0e-3
    std::printf("[ transformers ] zero-shot: stb-decoded JPEG max |p - p_transformers| %.3g\n", worst_stb_jpeg);
    std::printf(
        "[ transformers ] tiny CLIPModel: images min cosine %.9f (%zu), texts min cosine %.9f (%zu), "
        "zero-shot max |p - p_transformers| %.3g\n",
        image_cos, images.size(), text_cos, texts().size(), worst_prob);

    // open_clip's rules on the same directory: what a user comparing with transformers used to get.
    auto as_open_clip = open_model(dir, "open_clip");
    EXPECT_EQ(as_open_clip->preprocess().semantics, PreprocessSemantics::OpenClip);
    const double oc_image =
        min_cosine(as_open_clip->embed_image_files(images, false), m["image_features"], images, "open_clip rules");
    const double oc_text =
        min_cosine(as_open_clip->embed_texts(texts(), false), m["text_features"], texts(), "open_clip rules");
    std::printf("[ open_clip rules ] images min cosine %.6f, texts min cosine %.6f to transformers\n", oc_image,
                oc_text);
    EXPECT_LT(std::min(oc_image, oc_text), 0.9999);  // the fixtures tell the two apart
    EXPECT_NE(as_open_clip->identity(), embedder->identity());
}

TEST(HfClipDirectory, ProcessorSettingsAreCheckedWithOneError) {
    TempDir tmp;
    const fs::path dir = make_model_dir(tmp.path / "model");
    std::ifstream in(dir / "preprocessor_config.json");
    const json base = json::parse(in);
    auto error_for = [&](const json& edit) -> std::string {
        json j = base;
        j.merge_patch(edit);
        std::ofstream(dir / "preprocessor_config.json") << j.dump();
        try {
            open_model(dir);
        } catch (const Error& e) {
            return e.what();
        }
        return "";
    };
    EXPECT_NE(error_for({{"resample", 1}}).find("LANCZOS"), std::string::npos);
    EXPECT_NE(error_for({{"resample", "bicubic"}}).find("resample"), std::string::npos);
    EXPECT_NE(error_for({{"crop_size", {{"height", 24}, {"width", 24}}}}).find("model takes 32x32"), std::string::npos);
    EXPECT_NE(error_for({{"size", {{"shortest_edge", 32}, {"longest_edge", 64}}}}).find("longest_edge"),
              std::string::npos);
    EXPECT_NE(error_for({{"size", {{"shortest_edge", -3}}}}).find("shortest_edge"), std::string::npos);
    EXPECT_NE(error_for({{"do_resize", "yes"}}).find("do_resize"), std::string::npos);
    EXPECT_NE(error_for({{"image_std", {0.5, 0.0, 0.5}}}).find("zero"), std::string::npos);
    // Settings transformers has and open_clip's transform does not: fine here, refused for open_clip.
    json resize_crop = base;
    resize_crop["size"] = {{"shortest_edge", 40}};
    std::ofstream(dir / "preprocessor_config.json") << resize_crop.dump();
    EXPECT_NO_THROW(open_model(dir));
    EXPECT_THROW(open_model(dir, "open_clip"), Error);
    EXPECT_THROW(open_model(dir, "tensorflow"), Error);
    // do_convert_rgb false: RGB images go through, others fail with the reason.
    json no_rgb = base;
    no_rgb["do_convert_rgb"] = false;
    std::ofstream(dir / "preprocessor_config.json") << no_rgb.dump();
    auto e = open_model(dir);
    EXPECT_NO_THROW(e->load_image(kData + "/images/inputs/chelsea.png"));
    try {
        e->load_image(kData + "/images/inputs/rgba_alpha.png");
        FAIL() << "an RGBA image passed do_convert_rgb false";
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("do_convert_rgb"), std::string::npos) << err.what();
    }
    // Without a size-fixing step the output size follows the image: an error naming both sizes.
    json no_crop = base;
    no_crop["do_center_crop"] = false;
    std::ofstream(dir / "preprocessor_config.json") << no_crop.dump();
    e = open_model(dir);
    EXPECT_NO_THROW(e->load_image(kData + "/images/inputs/tiny_1x1.png"));
    try {
        e->load_image(kData + "/images/inputs/chelsea.png");
        FAIL() << "a 48x32 output accepted for a 32x32 model";
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("model takes 32x32"), std::string::npos) << err.what();
    }
}

TEST(OpenClipDirectory, TransformersSemanticsOnRequest) {
    const std::string oc = kData + "/checkpoints/open_clip_f16";
    auto own = open_model(oc);
    EXPECT_EQ(own->preprocess().semantics, PreprocessSemantics::OpenClip);
    EXPECT_EQ(own->text().semantics, PreprocessSemantics::OpenClip);
    auto as_transformers = open_model(oc, "transformers");
    EXPECT_EQ(as_transformers->preprocess().semantics, PreprocessSemantics::Transformers);
    EXPECT_EQ(as_transformers->preprocess().transformers.shortest_edge, 32);
    // The entity text: HTML unescaped by open_clip's rules only.
    const std::string html = texts()[1];
    EXPECT_NE(own->tokenizer().tokens(html, 77), as_transformers->tokenizer().tokens(html, 77));
    EXPECT_EQ(as_transformers->tokenizer().tokens(html, 77),
              builtin_transformers_tokenizer().tokenizer->tokens(html, 77));
}

TEST(CliInfo, DescribesTheModelInputs) {
    if (!fs::exists(CLIPRT_CLI_PATH)) GTEST_SKIP() << "build the cliprt_cli target first";
    TempDir tmp;
    const fs::path dir = make_model_dir(tmp.path / "model");
    test::CliRun r = test::run_cliprt({"info", "--model", dir.string()}, tmp.path.string());
    ASSERT_EQ(r.code(), 0) << r.err;
    for (const char* line : {"semantics: transformers (the model's own library)", "do_resize: true, shortest_edge 32",
                             "do_center_crop: true, 32x32 (offsets floored)", "  do_normalize: true\n",
                             "tokenizer: tokenizer.json", "no HTML unescaping"})
        EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
    r = test::run_cliprt({"info", "--model", dir.string(), "--preprocess", "open_clip", "--json"}, tmp.path.string());
    ASSERT_EQ(r.code(), 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j["semantics"], "open_clip");
    EXPECT_EQ(j["image"][0], "semantics: open_clip");
    r = test::run_cliprt({"info", "--model", (tmp.path / "nothing").string()}, tmp.path.string());
    EXPECT_NE(r.code(), 0);
    EXPECT_NE(r.err.find("nothing"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cliprt
