// Tokenizer throughput of cliprt's tokenizer.json pipeline on one thread: encodes every text of a
// corpus file (one JSON string per line) `rounds` times and prints texts, tokens and tokens/s as
// JSON. tools/bench_hf_tokenizer.py runs it next to the `tokenizers` library on the same corpus.
//   cliprt_hf_tokenizer_bench TOKENIZER_JSON CORPUS_FILE [ROUNDS]
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cliprt/error.h"
#include "cliprt/hf_tokenizer.h"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: cliprt_hf_tokenizer_bench TOKENIZER_JSON CORPUS_FILE [ROUNDS]\n";
        return 2;
    }
    try {
        const auto tokenizer = cliprt::HfTokenizer::from_file(argv[1]);
        std::ifstream in(argv[2]);
        if (!in) cliprt::fail("cannot read ", argv[2]);
        std::vector<std::string> texts;
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) texts.push_back(nlohmann::json::parse(line).get<std::string>());
        const int rounds = argc > 3 ? std::stoi(argv[3]) : 5;
        size_t tokens = 0;
        const auto start = std::chrono::steady_clock::now();
        for (int r = 0; r < rounds; ++r)
            for (const std::string& t : texts) tokens += tokenizer->encode(t).size();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cout << nlohmann::json{{"texts", texts.size() * static_cast<size_t>(rounds)},
                                    {"tokens", tokens},
                                    {"seconds", seconds},
                                    {"tokens_per_second", static_cast<double>(tokens) / seconds}}
                         .dump()
                  << "\n";
    } catch (const std::exception& e) {
        std::cerr << "cliprt_hf_tokenizer_bench: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
