// The options every command that runs a model shares (--model, --weights, --backend, ...), and
// opening the embedder from them with the backend's fallback note on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "models/clip_embedder.h"

namespace cliprt::app {

inline void add_embedder_options(CLI::App* cmd, EmbedderOptions& o) {
    cmd->add_option("--model", o.model, "Built-in name, config file, open_clip or Hugging Face model directory")
        ->required();
    cmd->add_option("--weights", o.weights, "A .safetensors file or 'synthetic' (not needed for a directory)");
    cmd->add_option("--backend", o.backend, "cpu, vulkan, cuda or auto")->capture_default_str();
    cmd->add_option("--dtype", o.dtype, "f32, f16 (GPU backends) or bf16 (cpu: bf16 weights)")->capture_default_str();
    cmd->add_option("--device", o.device, "Device index of a GPU backend (-1: best)")->capture_default_str();
    cmd->add_option("--batch", o.batch, "Largest batch per forward")->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--preprocess", o.preprocess,
                    "Image preprocessing and tokenization rules: open_clip or transformers (default: the model "
                    "directory's own library)")
        ->check(CLI::IsMember({"open_clip", "transformers"}));
}

inline std::unique_ptr<ClipEmbedder> open_embedder(const EmbedderOptions& o) {
    std::string note;
    auto embedder = ClipEmbedder::open(o, &note);
    if (!note.empty()) std::cerr << "cliprt: " << note << "\n";
    return embedder;
}

}  // namespace cliprt::app
