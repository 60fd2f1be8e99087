// libFuzzer: `cliprt serve`'s HTTP handling, from raw request bytes on one connection to the
// answer (request line and header parsing in cpp-httplib, then the Host / Origin / Range checks,
// routing and every JSON handler, uploads included), over a small index of the shipped samples made
// with the tiny test checkpoint. No socket: SearchServer::answer runs the worker's loop in memory.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "cliprt/error.h"
#include "models/clip_embedder.h"
#include "search/image_index.h"
#include "search/indexer.h"
#include "search/model_choice.h"
#include "server/search_server.h"

namespace {

namespace fs = std::filesystem;

cliprt::server::SearchServer* server = nullptr;

void make_server() {
    const std::string source = CLIPRT_SOURCE_DIR;
    const std::string model = source + "/tests/data/checkpoints/open_clip_f16";
    const fs::path dir = fs::temp_directory_path() / ("cliprt_fuzz_http_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "photos");
    for (const char* name : {"green_triangle_0040.png", "red_circle_0010.png", "blue_square_0135.png"})
        fs::copy_file(source + "/samples/" + name, dir / "photos" / name);
    static const fs::path scratch = dir;
    std::atexit([] { fs::remove_all(scratch); });
    const std::string db = (dir / "index.db").string();
    {
        cliprt::EmbedderOptions o;
        o.model = model;
        o.backend = "cpu";
        const std::unique_ptr<cliprt::ClipEmbedder> embedder = cliprt::ClipEmbedder::open(o);
        auto index = cliprt::search::ImageIndex::open(db, true);
        index->bind_model(cliprt::search::record_of(*embedder, cliprt::search::ModelChoice{model, "", "fuzz"}));
        cliprt::search::update_index(*index, {(dir / "photos").string()}, embedder->dim(),
                                     [&](const std::vector<std::string>& paths) {
                                         std::vector<cliprt::search::EmbedOutcome> out(paths.size());
                                         const cliprt::Tensor e = embedder->embed_image_files(paths, true);
                                         const int dim = embedder->dim();
                                         for (size_t i = 0; i < paths.size(); ++i)
                                             out[i].embedding.assign(e.f32() + i * dim, e.f32() + (i + 1) * dim);
                                         return out;
                                     });
    }
    cliprt::server::ServerOptions options;
    options.db = db;
    options.model = model;
    options.backend = "cpu";
    options.max_upload_bytes = 64 * 1024;
    server = new cliprt::server::SearchServer(options);
}

}  // namespace

// The index and the model are made once here, so that they do not count as the first input's time.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    make_server();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    server->answer(std::string(reinterpret_cast<const char*>(data), size));
    return 0;
}
