// cliprt tokenize: the token ids of each text, one line per text. Without --context the ids end at
// <end_of_text> (no padding); with --context N each line has exactly N ids, zero padded, as the
// model receives them.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cliprt/error.h"
#include "commands.h"
#include "models/clip_embedder.h"

namespace cliprt::app {

namespace {

struct TokenizeOptions {
    std::vector<std::string> texts;
    std::string model;
    int context = 0;
    bool json = false;
};

}  // namespace

Command add_tokenize_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("tokenize", "Print the CLIP token ids of texts");
    auto o = std::make_shared<TokenizeOptions>();
    cmd->add_option("text", o->texts, "Texts to tokenize")->required();
    cmd->add_option("--model", o->model, "Use this model's tokenizer and context length (default: built-in BPE, 77)");
    cmd->add_option("--context", o->context, "Print exactly N ids per text (truncated / zero padded)")
        ->check(CLI::Range(2, 1 << 20));
    cmd->add_flag("--json", o->json, "Print JSON");
    return [o] {
        ModelText text;
        if (o->model.empty()) {
            text.tokenizer = std::shared_ptr<const ClipTokenizer>(&ClipTokenizer::builtin(), [](const ClipTokenizer*) {});
        } else {
            text = model_text(o->model);
            if (!text.unsupported.empty()) fail(text.unsupported);
        }
        const int context = o->context ? o->context : text.context_length;
        // Tokenize everything first so that an invalid text prints nothing but the error.
        std::vector<std::vector<int32_t>> ids;
        for (const std::string& t : o->texts) {
            ids.push_back(text.tokenizer->tokens(t, context));
            if (o->context) ids.back().resize(static_cast<size_t>(context), 0);
        }
        if (o->json) {
            nlohmann::json out = nlohmann::json::array();
            for (size_t i = 0; i < ids.size(); ++i) out.push_back({{"text", o->texts[i]}, {"ids", ids[i]}});
            std::cout << out.dump(2) << "\n";
            return 0;
        }
        for (const auto& row : ids) {
            for (size_t i = 0; i < row.size(); ++i) std::cout << (i ? " " : "") << row[i];
            std::cout << "\n";
        }
        return 0;
    };
}

}  // namespace cliprt::app
