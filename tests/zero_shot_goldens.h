// tests/data/zero_shot/goldens.json (tools/make_zero_shot_goldens.py: open_clip's and transformers'
// embeddings and zero-shot probabilities on the fixture checkpoints) and its image paths.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cliprt::test {

inline const std::string kSource = CLIPRT_SOURCE_DIR;

inline const nlohmann::json& goldens() {
    static const nlohmann::json g = [] {
        std::ifstream in(kSource + "/tests/data/zero_shot/goldens.json");
        return nlohmann::json::parse(in);
    }();
    return g;
}

inline std::vector<std::string> golden_images() {
    std::vector<std::string> paths;
    for (const auto& p : goldens()["images"]) paths.push_back(kSource + "/" + p.get<std::string>());
    return paths;
}

}  // namespace cliprt::test
