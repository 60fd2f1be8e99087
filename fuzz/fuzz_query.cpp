// libFuzzer: the search query language, as typed in the web page's box ("a beach +2:sunset -people")
// and as CLI arguments (weight prefixes "W:TEXT", --not), split into terms and combined.
#include <cstdint>
#include <string>
#include <vector>

#include "cliprt/error.h"
#include "search/query.h"
#include "server/box_query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const std::vector<cliprt::search::QueryTerm> terms = cliprt::server::parse_box_query(text);
        // Combine with unit embeddings of dim 4, as the server does with real ones.
        std::vector<std::vector<float>> embeddings;
        for (size_t i = 0; i < terms.size(); ++i) {
            std::vector<float> e(4, 0.0f);
            e[i % 4] = 1.0f;
            embeddings.push_back(e);
        }
        cliprt::search::combine_query(terms, embeddings);
    } catch (const cliprt::Error&) {
    }
    try {
        const size_t cut = text.find('\n');
        cliprt::search::build_query({text.substr(0, cut)}, {}, {cut == std::string::npos ? "" : text.substr(cut + 1)});
    } catch (const cliprt::Error&) {
    }
    return 0;
}
