// open_clip's HFTokenizer (tokenizer.py) over a hub tokenizer directory: the special tokens come
// from tokenizer_config.json or special_tokens_map.json as transformers reads them.
#include "cliprt/hf_text_tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cliprt/error.h"
#include "text/hf_components.h"

namespace cliprt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read ", path.string());
    std::ostringstream s;
    s << in.rdbuf();
    return text::hf::parse_json(s.str(), path.string());
}

// A special token named in a config: "token" or {"content": "token", ...}; empty when absent.
std::string special_token(const json& config, const std::string& key, const fs::path& file) {
    if (!config.is_object() || !config.contains(key) || config[key].is_null()) return {};
    const json& v = config[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
    fail(file.string(), ": ", key, " must be a token string or {\"content\": ...}");
}

}  // namespace

HfTextTokenizerOptions parse_tokenizer_kwargs(const std::string& text, const std::string& where) {
    HfTextTokenizerOptions o;
    if (text.empty()) return o;
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        fail(where, ": tokenizer_kwargs is not valid JSON (", e.what(), ")");
    }
    if (!j.is_object()) fail(where, ": tokenizer_kwargs must be an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "clean") {
            if (!it.value().is_string()) fail(where, ": tokenizer_kwargs.clean must be a string");
            o.clean = it.value().get<std::string>();
            open_clip_clean("", o.clean);  // rejects unknown names here rather than at the first text
        } else if (it.key() == "strip_sep_token") {
            if (!it.value().is_boolean()) fail(where, ": tokenizer_kwargs.strip_sep_token must be true or false");
            o.strip_sep_token = it.value().get<bool>();
        } else {
            fail(where, ": tokenizer_kwargs.", it.key(),
                 " is not supported by cliprt (it has clean and strip_sep_token)");
        }
    }
    return o;
}

std::vector<std::string> HfTextTokenizer::files(const std::string& directory) {
    std::vector<std::string> out;
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
        const fs::path p = fs::path(directory) / name;
        if (fs::exists(p)) out.push_back(p.string());
    }
    return out;
}

std::shared_ptr<const HfTextTokenizer> HfTextTokenizer::from_directory(const std::string& directory,
                                                                       const HfTextTokenizerOptions& options) {
    const fs::path dir(directory);
    const fs::path tokenizer_json = dir / "tokenizer.json";
    if (!fs::exists(tokenizer_json))
        fail("'", directory,
             "' has no tokenizer.json (the Hugging Face fast-tokenizer file; tokenizer_config.json and "
             "special_tokens_map.json are read too when present)");
    auto tokenizer = HfTokenizer::from_file(tokenizer_json.string());
    // transformers takes the special tokens from tokenizer_config.json, then special_tokens_map.json.
    std::string pad, sep;
    bool pad_left = false;
    for (const char* name : {"special_tokens_map.json", "tokenizer_config.json"}) {
        const fs::path p = dir / name;
        if (!fs::exists(p)) continue;
        const json config = read_json_file(p);
        if (const std::string t = special_token(config, "pad_token", p); !t.empty()) pad = t;
        if (const std::string t = special_token(config, "sep_token", p); !t.empty()) sep = t;
        if (name != std::string("tokenizer_config.json")) continue;
        // padding_side: the config's, else the tokenizer class's default (left for these decoder-style ones).
        static const char* const kLeftPadded[] = {"LlamaTokenizer",   "CodeLlamaTokenizer", "GemmaTokenizer",
                                                  "Siglip2Tokenizer", "XLNetTokenizer",     "CohereTokenizer"};
        if (config.contains("tokenizer_class") && config["tokenizer_class"].is_string()) {
            std::string cls = config["tokenizer_class"].get<std::string>();
            if (cls.size() > 4 && cls.substr(cls.size() - 4) == "Fast") cls.resize(cls.size() - 4);
            for (const char* left : kLeftPadded) pad_left = pad_left || cls == left;
        }
        if (config.contains("padding_side") && config["padding_side"].is_string())
            pad_left = config["padding_side"].get<std::string>() == "left";
        if (config.contains("truncation_side") && config["truncation_side"] != "right")
            fail(p.string(), ": truncation_side ",
                 text::hf::quoted(config["truncation_side"].is_string() ? config["truncation_side"].get<std::string>()
                                                                        : "?"),
                 " is not supported (only right)");
    }
    auto id_of = [&](const std::string& token, const char* what) -> int32_t {
        if (token.empty()) return -1;
        const auto id = tokenizer->token_to_id(token);
        if (!id) fail(directory, ": the ", what, " '", token, "' is not in tokenizer.json");
        return *id;
    };
    const int32_t pad_id = id_of(pad, "pad token"), sep_id = id_of(sep, "sep token");
    return std::make_shared<const HfTextTokenizer>(std::move(tokenizer), options, pad_id, sep_id, pad_left, directory);
}

HfTextTokenizer::HfTextTokenizer(std::shared_ptr<const HfTokenizer> tokenizer, HfTextTokenizerOptions options,
                                 int32_t pad_id, int32_t sep_id, bool pad_left, std::string source)
    : tokenizer_(std::move(tokenizer)),
      options_(std::move(options)),
      pad_id_(pad_id),
      sep_id_(sep_id),
      pad_left_(pad_left),
      source_(std::move(source)) {}

std::vector<int32_t> HfTextTokenizer::tokens(const std::string& text, int context_length) const {
    // No clean function: the text goes to the tokenizer as it is (transformers' own call).
    const std::string cleaned = options_.clean.empty() ? text : open_clip_clean(text, options_.clean);
    std::vector<int32_t> ids = tokenizer_->encode(cleaned, context_length, false, 0).ids;
    if (options_.strip_sep_token && sep_id_ >= 0) {
        // open_clip 3.3 writes 0 there (its main branch has since moved to the pad id).
        for (int32_t& id : ids)
            if (id == sep_id_) id = 0;
    }
    return ids;
}

Tensor HfTextTokenizer::tokenize(const std::vector<std::string>& texts, int context_length) const {
    if (pad_id_ < 0)
        fail(source_,
             ": the tokenizer has no pad token (tokenizer_config.json / special_tokens_map.json), so texts "
             "cannot be padded to the context length");
    std::vector<std::vector<int32_t>> rows;
    rows.reserve(texts.size());
    for (const std::string& t : texts) rows.push_back(tokens(t, context_length));
    Tensor out(Shape{static_cast<int64_t>(texts.size()), context_length}, DType::I32);
    int32_t* ids = out.i32();
    std::fill(ids, ids + out.numel(), pad_id_);
    for (size_t r = 0; r < rows.size(); ++r) {
        // padding_side 'left' puts the padding first.
        const size_t offset = pad_left_ ? static_cast<size_t>(context_length) - rows[r].size() : 0;
        std::copy(rows[r].begin(), rows[r].end(), ids + r * static_cast<size_t>(context_length) + offset);
    }
    return out;
}

}  // namespace cliprt
