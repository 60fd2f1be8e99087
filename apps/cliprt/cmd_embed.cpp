// cliprt embed: the embedding of each image or text. Text output: one line per input, the values
// separated by spaces; JSON: the inputs with their embeddings.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cliprt/error.h"
#include "commands.h"
#include "embedder_options.h"

namespace cliprt::app {

namespace {

struct EmbedCommandOptions {
    EmbedderOptions embedder;
    std::vector<std::string> images;
    std::vector<std::string> texts;
    bool normalize = false;
    bool json = false;
};

}  // namespace

Command add_embed_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("embed", "Print the embeddings of images or texts");
    auto o = std::make_shared<EmbedCommandOptions>();
    add_embedder_options(cmd, o->embedder);
    auto* image = cmd->add_option("--image", o->images, "Image files");
    auto* text = cmd->add_option("--text", o->texts, "Texts");
    image->excludes(text);
    text->excludes(image);
    cmd->add_flag("--normalize", o->normalize, "L2-normalize the embeddings");
    cmd->add_flag("--json", o->json, "Print JSON");
    return [o] {
        if (o->images.empty() && o->texts.empty()) fail("give --image PATH... or --text TEXT...");
        auto embedder = open_embedder(o->embedder);
        const bool images = !o->images.empty();
        const Tensor e = images ? embedder->embed_image_files(o->images, o->normalize)
                                : embedder->embed_texts(o->texts, o->normalize);
        const std::vector<std::string>& inputs = images ? o->images : o->texts;
        const int64_t dim = e.shape()[1];
        if (o->json) {
            nlohmann::json rows = nlohmann::json::array();
            for (size_t i = 0; i < inputs.size(); ++i) {
                const float* row = e.f32() + static_cast<int64_t>(i) * dim;
                rows.push_back(
                    {{images ? "image" : "text", inputs[i]}, {"embedding", std::vector<float>(row, row + dim)}});
            }
            const nlohmann::json out{{"dim", dim},
                                     {"normalized", o->normalize},
                                     {"backend", embedder->backend_name()},
                                     {"embeddings", rows}};
            // File names need not be UTF-8: replace what JSON cannot carry instead of failing.
            std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            return 0;
        }
        for (size_t i = 0; i < inputs.size(); ++i) {
            const float* row = e.f32() + static_cast<int64_t>(i) * dim;
            for (int64_t j = 0; j < dim; ++j) std::printf(j ? " %.9g" : "%.9g", row[j]);
            std::printf("\n");
        }
        return 0;
    };
}

}  // namespace cliprt::app
