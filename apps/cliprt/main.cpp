// cliprt: CLIP embeddings on the CPU, Vulkan and CUDA backends.
#include <iostream>
#include <map>

#include "commands.h"

int main(int argc, char** argv) {
    CLI::App app{"cliprt: run CLIP models (open_clip / OpenAI checkpoints) on CPU, Vulkan and CUDA"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "cliprt 0.1.0");
    std::map<CLI::App*, cliprt::app::Command> commands;
    auto add = [&](cliprt::app::Command (*make)(CLI::App&)) {
        cliprt::app::Command command = make(app);
        commands[app.get_subcommands({}).back()] = std::move(command);
    };
    add(cliprt::app::add_info_command);
    add(cliprt::app::add_parity_command);
    add(cliprt::app::add_bench_command);
    add(cliprt::app::add_profile_command);
    add(cliprt::app::add_tokenize_command);
    add(cliprt::app::add_embed_command);
    add(cliprt::app::add_classify_command);
    add(cliprt::app::add_index_command);
    add(cliprt::app::add_search_command);
    add(cliprt::app::add_dupes_command);
    add(cliprt::app::add_serve_command);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        for (auto& [sub, run] : commands) {
            if (sub->parsed()) return run();
        }
    } catch (const std::exception& e) {
        std::cerr << "cliprt: error: " << e.what() << "\n";
        return 1;
    }
    return 1;
}
