// The subcommands of the cliprt executable; each registers its options on the CLI11 app and
// returns the function that runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace cliprt::app {

using Command = std::function<int()>;

Command add_info_command(CLI::App& app);
Command add_parity_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_profile_command(CLI::App& app);
Command add_tokenize_command(CLI::App& app);
Command add_embed_command(CLI::App& app);
Command add_classify_command(CLI::App& app);
Command add_index_command(CLI::App& app);
Command add_search_command(CLI::App& app);
Command add_dupes_command(CLI::App& app);
Command add_serve_command(CLI::App& app);

}  // namespace cliprt::app
