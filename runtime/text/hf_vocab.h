// The token -> id maps of the models, read from tokenizer.json with every id checked.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "text/hf_components.h"

namespace cliprt::text::hf {

struct Vocab {
    std::unordered_map<std::string, int32_t> ids;
    std::vector<std::string> tokens;  // by id
    int32_t find(const std::string& token) const {
        auto it = ids.find(token);
        return it == ids.end() ? -1 : it->second;
    }
};

// A {"token": id, ...} object whose ids are 0..size-1, each once.
Vocab read_vocab_object(const json& j, const JsonPath& where);

// An optional string field (absent or null: empty).
std::string optional_string(const json& j, const std::string& key, const JsonPath& where);

// <0xAB>: the byte-fallback token of one byte.
std::string byte_token(unsigned char b);

}  // namespace cliprt::text::hf
