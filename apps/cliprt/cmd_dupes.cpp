// cliprt dupes: groups of near-duplicate images in an index (no model needed: it compares the
// stored embeddings).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "search/dupes.h"
#include "search/image_index.h"
#include "search/model_choice.h"
#include "search/vector_search.h"

namespace cliprt::app {

namespace {

struct DupesArgs {
    std::string db;
    float threshold = 0.95f;
    bool json = false;
};

}  // namespace

Command add_dupes_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand(
        "dupes", "List groups of near-duplicate images: pairs with cosine >= threshold, joined transitively");
    auto a = std::make_shared<DupesArgs>();
    cmd->add_option("--db", a->db, "Index file (default: $CLIPRT_DB, else cliprt.db in the current directory)");
    cmd->add_option("--threshold", a->threshold, "Cosine similarity at or above which two images are duplicates")
        ->capture_default_str()
        ->check(CLI::Range(-1.0f, 1.0f));
    cmd->add_flag("--json", a->json, "Print JSON");
    return [a] {
        const std::string db_path = search::choose_db_path(a->db);
        std::unique_ptr<search::ImageIndex> index = search::ImageIndex::open_read_only(db_path);
        const search::StoredEmbeddings stored = index->load_embeddings();
        std::vector<search::DuplicateGroup> groups;
        if (!stored.paths.empty()) {
            const search::EmbeddingMatrix matrix = search::EmbeddingMatrix::from_f32(
                stored.values, static_cast<size_t>(stored.dim), search::MatrixType::F32);
            groups = search::find_duplicates(matrix, a->threshold);
        }
        if (a->json) {
            nlohmann::json out;
            out["db"] = db_path;
            out["threshold"] = a->threshold;
            out["indexed"] = stored.paths.size();
            out["groups"] = nlohmann::json::array();
            for (const auto& g : groups) {
                nlohmann::json files = nlohmann::json::array();
                for (size_t r : g.rows) files.push_back(stored.paths[r]);
                out["groups"].push_back({{"files", files}, {"min_cosine", g.min_link}, {"max_cosine", g.max_link}});
            }
            std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";  // paths: U+FFFD
            return 0;
        }
        size_t files = 0;
        for (size_t i = 0; i < groups.size(); ++i) {
            const auto& g = groups[i];
            files += g.rows.size();
            std::printf("group %zu: %zu images, cosine %.4f to %.4f\n", i + 1, g.rows.size(), g.min_link, g.max_link);
            for (size_t r : g.rows) std::printf("  %s\n", stored.paths[r].c_str());
        }
        std::printf("%zu groups, %zu images, among %zu indexed (threshold %.3f)\n", groups.size(), files,
                    stored.paths.size(), a->threshold);
        return 0;
    };
}

}  // namespace cliprt::app
