// Text embedding throughput of a Hugging Face encoder directory (all-MiniLM-L6-v2 and the like):
// tokenizer and model together, as `cliprt embed` runs them. Embeds every text of a JSON list once
// to warm up (graphs compiled, weights uploaded), then `rounds` times, and prints texts/s as JSON.
// tools/bench_hf_text.py runs it next to sentence-transformers on the same texts and threads.
//   cliprt_hf_text_bench MODEL_DIR TEXTS_JSON [BACKEND [THREADS [BATCH [ROUNDS]]]]
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cliprt/error.h"
#include "models/clip_embedder.h"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: cliprt_hf_text_bench MODEL_DIR TEXTS_JSON [BACKEND [THREADS [BATCH [ROUNDS]]]]\n";
        return 2;
    }
    try {
        std::ifstream in(argv[2]);
        if (!in) cliprt::fail("cannot read ", argv[2]);
        const std::vector<std::string> texts = nlohmann::json::parse(in).get<std::vector<std::string>>();
        cliprt::EmbedderOptions options;
        options.model = argv[1];
        options.backend = argc > 3 ? argv[3] : "cpu";
        options.threads = argc > 4 ? std::stoi(argv[4]) : 2;
        options.batch = argc > 5 ? std::stoi(argv[5]) : 32;
        const int rounds = argc > 6 ? std::stoi(argv[6]) : 3;
        auto embedder = cliprt::ClipEmbedder::open(options);
        embedder->embed_texts(texts, false);  // warm-up
        const auto start = std::chrono::steady_clock::now();
        for (int r = 0; r < rounds; ++r) embedder->embed_texts(texts, false);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double n = static_cast<double>(texts.size()) * rounds;
        std::cout << nlohmann::json{{"backend", embedder->backend_name()},
                                    {"threads", options.threads},
                                    {"batch", options.batch},
                                    {"texts", n},
                                    {"seconds", seconds},
                                    {"texts_per_second", n / seconds}}
                         .dump()
                  << "\n";
    } catch (const std::exception& e) {
        std::cerr << "cliprt_hf_text_bench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
