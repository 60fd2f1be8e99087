// libFuzzer: model configs, an open_clip model_cfg / open_clip_config.json or a transformers
// CLIPModel config.json (the first byte chooses), then the graph of the config that parsed.
#include <cstdint>
#include <string>

#include "cliprt/error.h"
#include "models/hf_clip.h"
#include "models/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        if (data[0] & 1) {
            cliprt::parse_hf_clip_config(text, "fuzz/config.json");
        } else {
            cliprt::parse_model_config(text, "fuzz/open_clip_config.json");
        }
    } catch (const cliprt::Error&) {
    }
    return 0;
}
