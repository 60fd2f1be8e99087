// cliprt tokenize: the token ids of each text, one line per text, with the model's tokenizer (the
// built-in CLIP BPE, an HF CLIPModel's vocab.json + merges.txt, or the tokenizer.json of a model
// whose config names hf_tokenizer_name, with open_clip's HFTokenizer semantics). Without --context
// the ids end where the text does (no padding); with --context N each line has exactly N ids,
// padded with the tokenizer's pad id, as the model (and open_clip's tokenizer) gives them.
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
    std::string preprocess;
};

}  // namespace

Command add_tokenize_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids of texts");
    auto o = std::make_shared<TokenizeOptions>();
    cmd->add_option("text", o->texts, "Texts to tokenize")->required();
    cmd->add_option("--model", o->model, "Use this model's tokenizer and context length (default: built-in BPE, 77)");
    cmd->add_option("--context", o->context, "Print exactly N ids per text (truncated / padded with the pad id)")
        ->check(CLI::Range(2, 1 << 20));
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->add_option("--preprocess", o->preprocess,
                    "Tokenization rules: open_clip or transformers (default: the model's)")
        ->check(CLI::IsMember({"open_clip", "transformers"}));
    return [o] {
        ModelText text;
        if (o->model.empty()) {
            text.tokenizer = builtin_clip_text_tokenizer();
        } else {
            text = model_text(o->model, o->preprocess);
            if (!text.unsupported.empty()) fail(text.unsupported);
        }
        const int context = o->context ? o->context : text.context_length;
        // Tokenize everything first so that an invalid text prints nothing but the error.
        std::vector<std::vector<int32_t>> ids;
        for (const std::string& t : o->texts) {
            if (o->context) {
                // The padded row as the model receives it (the tokenizer knows its pad id and side).
                const Tensor row = text.tokenizer->tokenize({t}, context);
                ids.emplace_back(row.i32(), row.i32() + context);
            } else {
                ids.push_back(text.tokenizer->tokens(t, context));
            }
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
