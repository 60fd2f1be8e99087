// The four stages of a tokenizers pipeline as cliprt runs them: normalizer, pre-tokenizer, model,
// post-processor. Each is built from its tokenizer.json object by the make_* functions, which
// throw Error naming the file and the field at fault.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "text/hf_split.h"

namespace cliprt::text::hf {

// Where a JSON value sits, for error messages: "tokenizer.json: normalizer.normalizers[1].type".
struct JsonPath {
    std::string file;
    std::string field;
    JsonPath at(const std::string& key) const { return {file, field.empty() ? key : field + "." + key}; }
    JsonPath at(size_t index) const { return {file, field + "[" + std::to_string(index) + "]"}; }
    std::string str() const { return file + ": " + field; }
};

class Normalizer {
public:
    virtual ~Normalizer() = default;
    // `origin`: how many leading characters are aligned to the input's offset 0 (Piece::origin),
    // updated the way the library's alignments move.
    virtual void normalize(std::u32string& text, size_t& origin) const = 0;
    void normalize(std::u32string& text) const {
        size_t unused = 0;
        normalize(text, unused);
    }
};

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    // Replaces the pieces with their splits.
    virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

// Vocabulary lookups the loader and the post-processor need from every model.
class Model {
public:
    virtual ~Model() = default;
    // Appends the ids of one pre-tokenized word (UTF-8).
    virtual void tokenize(const std::string& word, std::vector<int32_t>& out) const = 0;
    virtual std::optional<int32_t> token_to_id(const std::string& token) const = 0;
    virtual int32_t vocab_size() const = 0;
};

class PostProcessor {
public:
    virtual ~PostProcessor() = default;
    // How many ids process() adds to a single sequence (room truncation keeps for them).
    virtual size_t added_tokens() const = 0;
    virtual void process(std::vector<int32_t>& ids) const = 0;
};

using json = nlohmann::json;

std::unique_ptr<Normalizer> make_normalizer(const json& j, const JsonPath& where);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j, const JsonPath& where);
std::unique_ptr<Model> make_model(const json& j, const JsonPath& where);
// Special ids are checked against vocab_size (the model plus the added tokens).
std::unique_ptr<PostProcessor> make_post_processor(const json& j, const JsonPath& where, int32_t vocab_size);

// tokenizer.json and the hub configs are untrusted input: nesting is bounded at parse time (copies
// and destruction of nlohmann values recurse); invalid JSON throws Error naming `source`.
json parse_json(const std::string& text, const std::string& source);
// A token or key as error messages show it: quoted, cut at 40 bytes.
std::string quoted(const std::string& text);

// Field readers: a missing or mistyped field throws Error with its path.
const json& field(const json& j, const std::string& key, const JsonPath& where);
std::string string_field(const json& j, const std::string& key, const JsonPath& where);
bool bool_field(const json& j, const std::string& key, const JsonPath& where, std::optional<bool> fallback = {});
std::string type_of(const json& j, const JsonPath& where);
[[noreturn]] void unknown_type(const std::string& type, const JsonPath& where, const char* supported);

class Regex;
// The {"String": ...} / {"Regex": ...} pattern of Split and Replace: one of the two is set.
void read_pattern(const json& j, const JsonPath& where, std::u32string& literal, std::unique_ptr<Regex>& regex);

std::unique_ptr<Model> make_wordpiece(const json& j, const JsonPath& where);
std::unique_ptr<Model> make_bpe(const json& j, const JsonPath& where);
std::unique_ptr<Model> make_unigram(const json& j, const JsonPath& where);
std::unique_ptr<Normalizer> make_precompiled(const json& j, const JsonPath& where);

}  // namespace cliprt::text::hf
