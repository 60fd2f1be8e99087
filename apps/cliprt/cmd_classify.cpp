// cliprt classify: zero-shot label probabilities of images (models/zero_shot.h). Text output: per
// image its path, then every label with its probability, most likely first.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "commands.h"
#include "embedder_options.h"
#include "models/zero_shot.h"

namespace cliprt::app {

namespace {

struct ClassifyOptions {
    EmbedderOptions embedder;
    std::vector<std::string> images;
    std::string labels;
    std::string templates = "openai";
    bool json = false;
};

}  // namespace

Command add_classify_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("classify", "Zero-shot classification of images against labels");
    auto o = std::make_shared<ClassifyOptions>();
    add_embedder_options(cmd, o->embedder);
    cmd->add_option("--image", o->images, "Image files")->required();
    cmd->add_option("--labels", o->labels, "Comma-separated labels: cat,dog,car")->required();
    cmd->add_option("--templates", o->templates, "openai (80 prompts), simple (7) or none (the label alone)")
        ->capture_default_str();
    cmd->add_flag("--json", o->json, "Print JSON");
    return [o] {
        // Check the cheap arguments before loading the model.
        const std::vector<std::string> labels = split_labels(o->labels);
        const TemplateSet set = parse_template_set(o->templates);
        auto embedder = open_embedder(o->embedder);
        const Tensor classifier = zero_shot_classifier(*embedder, labels, set);
        const Tensor features = embedder->embed_image_files(o->images, /*normalize=*/true);
        const float bias = embedder->session().model().logit_bias().value_or(0.0f);
        const Tensor logits = zero_shot_logits(features, classifier, embedder->logit_scale(), bias);
        const Tensor probs = softmax_rows(logits);
        const size_t c = labels.size();
        if (o->json) {
            nlohmann::json results = nlohmann::json::array();
            for (size_t i = 0; i < o->images.size(); ++i) {
                const float* p = probs.f32() + i * c;
                const float* l = logits.f32() + i * c;
                const size_t top = static_cast<size_t>(std::max_element(p, p + c) - p);
                results.push_back({{"image", o->images[i]},
                                   {"label", labels[top]},
                                   {"probs", std::vector<float>(p, p + c)},
                                   {"logits", std::vector<float>(l, l + c)}});
            }
            const nlohmann::json out{{"labels", labels}, {"templates", o->templates}, {"results", results}};
            std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            return 0;
        }
        for (size_t i = 0; i < o->images.size(); ++i) {
            const float* p = probs.f32() + i * c;
            std::vector<size_t> order(c);
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [p](size_t a, size_t b) { return p[a] > p[b]; });
            std::printf("%s\n", o->images[i].c_str());
            for (size_t k : order) std::printf("  %.6f  %s\n", p[k], labels[k].c_str());
        }
        return 0;
    };
}

}  // namespace cliprt::app
