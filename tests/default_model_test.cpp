// The shipped default model (models/default) classifies every shipped sample exactly as open_clip
// does: tests/data/default_model/zero_shot_open_clip.json holds open_clip's per-image predictions
// and probabilities (tools/eval_default_model.py); cliprt must make the same prediction on every
// image and match each probability within 1e-4 (the file rounds them to 1e-5), on the CPU backend
// and on Vulkan (with the validation layer on).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "cli_runner.h"
#include "cliprt/vulkan_backend.h"
#include "models/clip_embedder.h"
#include "search_test_support.h"
#include "vulkan_test_support.h"

namespace cliprt {
namespace {

const std::string kRoot = CLIPRT_SOURCE_DIR;

nlohmann::json expected() {
    std::ifstream in(kRoot + "/tests/data/default_model/zero_shot_open_clip.json");
    return nlohmann::json::parse(in);
}

// Returns the number of images checked.
size_t check_against_open_clip(ClipEmbedder& embedder) {
    const nlohmann::json want = expected();
    std::vector<std::string> paths;
    for (const auto& image : want.at("images"))
        paths.push_back(kRoot + "/samples/" + image.at("file").get<std::string>());
    const Tensor images = embedder.embed_image_files(paths, true);
    const float scale = embedder.logit_scale();
    EXPECT_NEAR(scale, want.at("logit_scale").get<double>(), 1e-4);
    const int64_t dim = embedder.dim();
    for (const auto& [task, spec] : want.at("tasks").items()) {
        const auto prompts = spec.at("prompts").get<std::vector<std::string>>();
        const auto classes = spec.at("classes").get<std::vector<std::string>>();
        const Tensor texts = embedder.embed_texts(prompts, true);
        for (size_t i = 0; i < paths.size(); ++i) {
            const nlohmann::json& row = want["images"][i][task];
            std::vector<double> logits(prompts.size());
            double top = -1e30, sum = 0;
            for (size_t c = 0; c < prompts.size(); ++c) {
                double dot = 0;
                for (int64_t d = 0; d < dim; ++d) dot += double(images.f32()[i * dim + d]) * texts.f32()[c * dim + d];
                logits[c] = scale * dot;
                top = std::max(top, logits[c]);
            }
            for (double& l : logits) sum += (l = std::exp(l - top));
            size_t best = 0;
            for (size_t c = 0; c < prompts.size(); ++c) {
                EXPECT_NEAR(logits[c] / sum, row.at("probs")[c].get<double>(), 1e-4)
                    << paths[i] << " " << task << " " << classes[c];
                if (logits[c] > logits[best]) best = c;
            }
            EXPECT_EQ(classes[best], row.at("prediction").get<std::string>()) << paths[i] << " " << task;
        }
    }
    return paths.size();
}

TEST(DefaultModel, AgreesWithOpenClipOnEverySample) {
    EmbedderOptions options;
    options.model = kRoot + "/models/default";
    options.backend = "cpu";
    options.batch = 32;
    EXPECT_EQ(check_against_open_clip(*ClipEmbedder::open(options)), 336u);
}

TEST(DefaultModelVulkan, AgreesWithOpenClipOnEverySample) {
    std::string why;
    if (!vulkan_test::shared_backend(DType::F32, "cpu", &why)) CLIPRT_VULKAN_UNAVAILABLE(why);
    setenv("CLIPRT_VULKAN_VALIDATION", "1", 1);  // the embedder creates its own backend
    EmbedderOptions options;
    options.model = kRoot + "/models/default";
    options.backend = "vulkan";
    options.batch = 32;
    auto embedder = ClipEmbedder::open(options);
    unsetenv("CLIPRT_VULKAN_VALIDATION");
    EXPECT_EQ(check_against_open_clip(*embedder), 336u);
    auto& backend = dynamic_cast<VulkanBackend&>(embedder->session().backend());
    for (const std::string& message : backend.validation_messages()) ADD_FAILURE() << message;
}

// stdout of `cliprt args...`, which must succeed.
std::string run(const std::vector<std::string>& args, const std::string& scratch) {
    const test::CliRun r = test::run_cliprt(args, scratch);
    EXPECT_EQ(r.code(), 0) << r.err;
    return r.out;
}

std::vector<std::string> result_names(const std::string& json_text) {
    std::vector<std::string> names;
    const nlohmann::json parsed = nlohmann::json::parse(json_text);
    for (const auto& r : parsed.at("results")) {
        const std::string path = r.at("path").get<std::string>();
        names.push_back(path.substr(path.find_last_of('/') + 1));
    }
    return names;
}

// The README's main job: the samples indexed with the default model, searched by text, by a
// weighted sum, with a negative term and by example image.
TEST(DefaultModel, SearchesTheSamples) {
    test::TempDir dir;
    const std::string db = dir / "samples.db";
    auto search = [&](std::vector<std::string> args) {
        for (const char* a : {"--json", "--db", db.c_str(), "--backend", "cpu"}) args.push_back(a);
        args.insert(args.begin(), "search");
        return result_names(run(args, dir.str()));
    };
    run({"index", kRoot + "/samples", "--model", kRoot + "/models/default", "--db", db, "--backend", "cpu"}, dir.str());

    // The samples hold six green triangles, three of them single: "a green triangle" finds all six
    // first, the single ones before the others, and "green triangles" the other three first.
    const auto labels = nlohmann::json::parse(test::read_file(kRoot + "/tests/data/default_model/samples_labels.json"));
    std::set<std::string> single, several;
    for (const auto& [name, a] : labels.at("images").items())
        if (a.at("color") == "green" && a.at("shape") == "triangle")
            (a.at("count") == 1 ? single : several).insert(name);
    ASSERT_EQ(single.size(), 3u);
    ASSERT_EQ(several.size(), 3u);
    const auto green = search({"a green triangle", "-k", "6"});
    ASSERT_EQ(green.size(), 6u);
    for (const std::string& name : green) EXPECT_EQ(name.rfind("green_triangle_", 0), 0u) << name;
    EXPECT_EQ(std::set<std::string>(green.begin(), green.begin() + 3), single);
    const auto plural = search({"green triangles", "-k", "3"});
    EXPECT_EQ(std::set<std::string>(plural.begin(), plural.end()), several);

    // A weighted sum leans to the heavier term; a negative term removes what it names.
    for (const std::string& name : search({"3:a red circle", "a blue square", "-k", "6"}))
        EXPECT_EQ(name.rfind("red_circle_", 0), 0u) << name;
    for (const std::string& name : search({"a photo of a shape", "--not", "a red shape", "-k", "20"}))
        EXPECT_NE(name.rfind("red_", 0), 0u) << name;
    for (const std::string& name : search({"a red shape", "--not", "a circle", "-k", "12"})) {
        EXPECT_EQ(name.rfind("red_", 0), 0u) << name;
        EXPECT_EQ(name.find("circle"), std::string::npos) << name;
    }

    // An example image finds itself first.
    const auto same = search({"--image", kRoot + "/samples/blue_star_0097.png", "-k", "3"});
    ASSERT_FALSE(same.empty());
    EXPECT_EQ(same[0], "blue_star_0097.png");
}

}  // namespace
}  // namespace cliprt
