// Checkpoints written by the real libraries (tools/make_checkpoint_fixtures.py: transformers'
// save_pretrained, open_clip's save_for_hf) load with one argument and reproduce what those
// libraries computed from them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "cliprt/cpu_backend.h"
#include "cliprt/error.h"
#include "cliprt/safetensors.h"
#include "models/clip_embedder.h"
#include "models/model_loader.h"
#include "models/parity.h"

namespace cliprt {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& name) {
    return std::string(CLIPRT_SOURCE_DIR) + "/tests/data/checkpoints/" + name;
}

class CheckpointFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(CheckpointFixture, MatchesTheLibraryThatWroteIt) {
    auto backend = make_cpu_ref_backend();
    const ParityResult r = run_golden_case(fixture(GetParam()), *backend, ParityTolerance{});
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_GE(r.cosine_min, 0.99999);
    EXPECT_LE(r.nmse, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Libraries, CheckpointFixture,
                         ::testing::Values("hf_clip_f16", "hf_clip_sharded_bf16", "open_clip_f16", "open_clip_siglip",
                                           "open_clip_convnext"));

// open_clip's save_for_hf of a small SigLIP (timm trunk, SigLIP text tower, tokenizer.json): named by
// its directory alone, the embedder tokenizes the texts as open_clip.get_tokenizer('local-dir:...')
// and embeds them as open_clip did (the strings of tools/make_checkpoint_fixtures.py).
TEST(CheckpointFixtureSiglip, TextsThroughItsTokenizerMatchOpenClip) {
    EmbedderOptions o;
    o.model = fixture("open_clip_siglip");
    o.backend = "cpu";
    auto embedder = ClipEmbedder::open(o);
    auto expected = SafetensorsFile::open(fixture("open_clip_siglip") + "/expected.safetensors");
    const std::vector<std::string> strings = {"a photo of a cat", "a diagram of a green triangle on a white background",
                                              "two dogs playing in the snow"};
    const Tensor ids = expected->read("input_ids");
    const Tensor got = embedder->tokenizer().tokenize(strings, embedder->context_length());
    ASSERT_EQ(got.shape(), ids.shape());
    EXPECT_TRUE(std::equal(got.i32(), got.i32() + got.numel(), ids.i32()));
    const Comparison c = compare_tensors(embedder->embed_texts(strings, false), expected->read("text_features"));
    EXPECT_GE(c.cosine_min, 0.99999);
    EXPECT_LE(c.nmse, 1e-6);
    const Comparison i = compare_tensors(embedder->embed_images(expected->read("pixel_values"), false),
                                         expected->read("image_features"));
    EXPECT_GE(i.cosine_min, 0.99999);
    EXPECT_LE(i.nmse, 1e-6);
}

// A copy of the open_clip fixture with its tensors edited by `edit`.
std::string edited_checkpoint(const std::string& name,
                              const std::function<void(std::vector<std::pair<std::string, Tensor>>&)>& edit) {
    const std::string source = fixture("open_clip_f16");
    const fs::path dir = fs::temp_directory_path() / ("cliprt_ckpt_" + name + "_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    fs::copy_file(source + "/open_clip_config.json", dir / "open_clip_config.json",
                  fs::copy_options::overwrite_existing);
    auto file = SafetensorsFile::open(source + "/open_clip_model.safetensors");
    std::vector<std::pair<std::string, Tensor>> tensors;
    for (const std::string& n : file->names()) tensors.emplace_back(n, file->read(n));
    edit(tensors);
    write_safetensors((dir / "open_clip_model.safetensors").string(), tensors);
    return dir.string();
}

std::string load_error(const std::string& dir) {
    try {
        load_clip_model(dir, "");
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

TEST(CheckpointErrors, MissingTensorIsNamed) {
    const std::string dir = edited_checkpoint(
        "missing", [](auto& t) { std::erase_if(t, [](const auto& p) { return p.first == "visual.ln_post.weight"; }); });
    EXPECT_NE(load_error(dir).find("visual.ln_post.weight"), std::string::npos) << load_error(dir);
}

TEST(CheckpointErrors, ExtraTensorIsNamed) {
    const std::string dir =
        edited_checkpoint("extra", [](auto& t) { t.emplace_back("visual.surprise", Tensor(Shape{3}, DType::F32)); });
    EXPECT_NE(load_error(dir).find("visual.surprise"), std::string::npos) << load_error(dir);
}

TEST(CheckpointErrors, WrongShapeIsNamed) {
    const std::string dir = edited_checkpoint("shape", [](auto& t) {
        for (auto& [name, tensor] : t) {
            if (name == "ln_final.bias") tensor = Tensor(Shape{17}, DType::F32);
        }
    });
    const std::string message = load_error(dir);
    EXPECT_NE(message.find("ln_final.bias"), std::string::npos) << message;
    EXPECT_NE(message.find("[17]"), std::string::npos) << message;
}

TEST(CheckpointErrors, DirectoryThatIsNoModel) {
    const fs::path dir = fs::temp_directory_path() / ("cliprt_not_a_model_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    EXPECT_NE(load_error(dir.string()).find("neither"), std::string::npos);
}

}  // namespace
}  // namespace cliprt
