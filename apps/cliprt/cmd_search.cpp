// cliprt search: find indexed images by text, by example image, or by a weighted mix of both.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cliprt/error.h"
#include "commands.h"
#include "search/image_index.h"
#include "search/model_choice.h"
#include "search/query.h"
#include "search/vector_search.h"

namespace cliprt::app {

namespace {

struct SearchArgs {
    std::vector<std::string> queries;
    std::vector<std::string> images;
    std::vector<std::string> negatives;
    size_t k = 10;
    std::string db;
    std::string model;
    std::string weights;
    std::string backend = "auto";
    bool json = false;
};

}  // namespace

Command add_search_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand(
        "search",
        "Search an index by text and example images: \"2:beach\" weighs a query by 2, --not subtracts one, "
        "--image adds a picture");
    auto a = std::make_shared<SearchArgs>();
    cmd->add_option("QUERY", a->queries, "Text queries, optionally weighted as W:TEXT");
    cmd->add_option("--image", a->images, "Example image (repeatable; W:PATH weighs it)")->allow_extra_args(false);
    cmd->add_option("--not", a->negatives, "Text to steer away from (repeatable; W:TEXT weighs it)")
        ->allow_extra_args(false);
    cmd->add_option("-k,--top", a->k, "Number of results")->capture_default_str()->check(CLI::Range(1, 1000000));
    cmd->add_option("--db", a->db, "Index file (default: $CLIPRT_DB, else cliprt.db in the current directory)");
    cmd->add_option("--model", a->model,
                    "Model (default: $CLIPRT_MODEL, else the model that made the index); it must be the "
                    "index's model");
    cmd->add_option("--weights", a->weights, "'synthetic' or a .safetensors file, with --model");
    cmd->add_option("--backend", a->backend, "cpu, vulkan, cuda or auto")->capture_default_str();
    cmd->add_flag("--json", a->json, "Print JSON");
    return [a] {
        const std::vector<search::QueryTerm> terms = search::build_query(a->queries, a->images, a->negatives);
        const std::string db_path = search::choose_db_path(a->db);
        std::unique_ptr<search::ImageIndex> index = search::ImageIndex::open_read_only(db_path);
        const search::ModelChoice choice = search::choose_model(a->model, a->weights, index->model());
        std::unique_ptr<ClipEmbedder> embedder = search::open_embedder(choice, a->backend, 8);
        index->require_model(search::record_of(*embedder, choice));

        // Texts in one forward, example images in another; then back into term order.
        std::vector<std::string> texts, image_paths;
        for (const auto& t : terms) (t.kind == search::QueryTerm::Kind::Text ? texts : image_paths).push_back(t.value);
        const Tensor text_e = texts.empty() ? Tensor() : embedder->embed_texts(texts, true);
        const Tensor image_e = image_paths.empty() ? Tensor() : embedder->embed_image_files(image_paths, true);
        const int dim = embedder->dim();
        std::vector<std::vector<float>> embeddings;
        size_t ti = 0, ii = 0;
        for (const auto& t : terms) {
            const bool text = t.kind == search::QueryTerm::Kind::Text;
            const float* row = text ? text_e.f32() + (ti++) * dim : image_e.f32() + (ii++) * dim;
            embeddings.emplace_back(row, row + dim);
        }
        const std::vector<float> query = search::combine_query(terms, embeddings);

        const search::StoredEmbeddings stored = index->load_embeddings();
        const search::EmbeddingMatrix matrix =
            search::EmbeddingMatrix::from_f32(stored.values, static_cast<size_t>(dim), search::MatrixType::F32);
        const std::vector<search::Hit> hits = search::top_k(matrix, query.data(), a->k);

        if (a->json) {
            nlohmann::json out;
            out["db"] = db_path;
            out["model"] = choice.model;
            out["indexed"] = stored.paths.size();
            nlohmann::json q = nlohmann::json::array();
            for (const auto& t : terms) {
                q.push_back({{"kind", t.kind == search::QueryTerm::Kind::Text ? "text" : "image"},
                             {"weight", t.weight},
                             {"value", t.value}});
            }
            out["query"] = q;
            out["results"] = nlohmann::json::array();
            for (size_t i = 0; i < hits.size(); ++i) {
                out["results"].push_back(
                    {{"rank", i + 1}, {"score", hits[i].score}, {"path", stored.paths[hits[i].row]}});
            }
            // Paths need not be UTF-8; JSON shows them with U+FFFD (the text output prints the bytes).
            std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            return 0;
        }
        if (hits.empty()) std::cerr << "cliprt: the index " << db_path << " holds no images\n";
        for (size_t i = 0; i < hits.size(); ++i) {
            std::printf("%3zu  %.4f  %s\n", i + 1, hits[i].score, stored.paths[hits[i].row].c_str());
        }
        return 0;
    };
}

}  // namespace cliprt::app
