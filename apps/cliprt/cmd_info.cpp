// cliprt info: backends, their devices (or why they are unavailable), and the built-in models;
// with --model, what the model's files say about its inputs instead: whose semantics (open_clip or
// transformers), the preprocessing settings read and the tokenizer (no weights are loaded).
#include <iostream>
#include <nlohmann/json.hpp>

#include "cliprt/backends.h"
#include "commands.h"
#include "models/clip_embedder.h"
#include "models/hf_clip_processor.h"
#include "models/model_config.h"

namespace cliprt::app {

Command add_info_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("info", "List backends, devices and built-in models");
    auto json = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json, "Print JSON");
    auto model = std::make_shared<std::string>();
    auto preprocess = std::make_shared<std::string>();
    cmd->add_option("--model", *model,
                    "Describe this model's inputs instead (built-in name, config file or directory)");
    cmd->add_option("--preprocess", *preprocess, "With --model: open_clip or transformers rules instead of the model's")
        ->check(CLI::IsMember({"open_clip", "transformers"}));
    return [json, model, preprocess] {
        if (!model->empty()) {
            const ClipConfig config = read_model_config(*model);
            const ModelText text = model_text(*model, *preprocess);
            const PreprocessConfig p = model_preprocess(*model, config, text.semantics);
            const std::vector<std::string> image = describe_preprocess_settings(p);
            if (*json) {
                nlohmann::json out{{"model", *model},
                                   {"semantics", preprocess_semantics_name(text.semantics)},
                                   {"image", image},
                                   {"tokenizer", text.source},
                                   {"tokenizer_files", text.files},
                                   {"context_length", text.context_length}};
                if (!text.unsupported.empty()) out["tokenizer_unsupported"] = text.unsupported;
                std::cout << out.dump(2) << "\n";
                return 0;
            }
            std::cout << *model << "\n";
            std::cout << "semantics: " << preprocess_semantics_name(text.semantics)
                      << (preprocess->empty() ? " (the model's own library)" : " (--preprocess)") << "\n";
            if (config.has_vision) {
                std::cout << "image preprocessing:\n";
                for (const std::string& line : image) std::cout << "  " << line << "\n";
            } else {
                std::cout << "image preprocessing: none (a text encoder)\n";
            }
            std::cout << "tokenizer: " << text.source << ", "
                      << (!config.has_vision ? "the tokenizer's own rules"
                          : text.semantics == PreprocessSemantics::Transformers
                              ? "CLIPTokenizerFast rules (no HTML unescaping)"
                              : "open_clip rules (ftfy fixes, HTML unescaping, whitespace, lowercase)")
                      << ", context length " << text.context_length << "\n";
            for (const std::string& file : text.files) std::cout << "  " << file << "\n";
            if (!text.unsupported.empty()) std::cout << "  texts cannot be tokenized: " << text.unsupported << "\n";
            return 0;
        }
        const auto statuses = backend_statuses();
        if (*json) {
            nlohmann::json out;
            for (const BackendStatus& s : statuses) {
                nlohmann::json b{{"name", s.name}, {"available", s.available}};
                if (!s.available) b["reason"] = s.reason;
                for (const DeviceInfo& d : s.devices) {
                    nlohmann::json dev{{"name", d.name},
                                       {"type", d.type},
                                       {"driver", d.driver},
                                       {"memory_bytes", d.memory_bytes},
                                       {"fp16", d.fp16}};
                    for (const auto& [k, v] : d.details) dev[k] = v;
                    b["devices"].push_back(dev);
                }
                out["backends"].push_back(b);
            }
            out["models"] = builtin_model_names();
            std::cout << out.dump(2) << "\n";
            return 0;
        }
        for (const BackendStatus& s : statuses) {
            std::cout << s.name << ": " << (s.available ? "available" : "unavailable (" + s.reason + ")") << "\n";
            for (size_t i = 0; i < s.devices.size(); ++i) {
                const DeviceInfo& d = s.devices[i];
                std::cout << "  [" << i << "] " << d.name << " (" << d.type << ")";
                if (!d.driver.empty()) std::cout << ", driver " << d.driver;
                if (d.memory_bytes) std::cout << ", " << d.memory_bytes / (1024 * 1024) << " MiB";
                std::cout << ", fp16 " << (d.fp16 ? "yes" : "no") << "\n";
                for (const auto& [k, v] : d.details) std::cout << "      " << k << ": " << v << "\n";
            }
        }
        std::cout << "built-in models:";
        for (const std::string& name : builtin_model_names()) std::cout << " " << name;
        std::cout << "\n";
        return 0;
    };
}

}  // namespace cliprt::app
