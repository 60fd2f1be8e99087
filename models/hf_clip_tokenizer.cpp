// transformers' CLIPTokenizer (tokenizers backend) on a CLIPModel directory: its tokenizer.json,
// or the tokenizer.json transformers would make of vocab.json + merges.txt.
#include "models/hf_clip_tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cliprt/config_json.h"
#include "cliprt/error.h"
#include "cliprt/hf_text_tokenizer.h"
#include "cliprt/hf_tokenizer.h"
#include "models/model_loader.h"

namespace cliprt {

namespace fs = std::filesystem;
using nlohmann::json;
namespace cj = config_json;

namespace {

// A special token named in a tokenizer config: "token" or {"content": "token"}; empty when absent.
std::string special_token(const json& config, const char* key) {
    if (!config.is_object() || !config.contains(key) || config[key].is_null()) return {};
    const json& v = config[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
    return {};
}

struct SpecialTokens {
    std::string bos = "<|startoftext|>", eos = "<|endoftext|>", unk = "<|endoftext|>", pad = "<|endoftext|>";
};

// CLIPTokenizer's defaults, overridden by special_tokens_map.json, then tokenizer_config.json.
SpecialTokens special_tokens(const fs::path& dir) {
    SpecialTokens s;
    for (const char* name : {"special_tokens_map.json", "tokenizer_config.json"}) {
        const fs::path p = dir / name;
        if (!fs::exists(p)) continue;
        const json j = read_json_file(p.string());
        if (auto t = special_token(j, "bos_token"); !t.empty()) s.bos = t;
        if (auto t = special_token(j, "eos_token"); !t.empty()) s.eos = t;
        if (auto t = special_token(j, "unk_token"); !t.empty()) s.unk = t;
        if (auto t = special_token(j, "pad_token"); !t.empty()) s.pad = t;
    }
    return s;
}

std::shared_ptr<const TextTokenizer> wrap(std::shared_ptr<const HfTokenizer> tokenizer, const std::string& pad,
                                          const std::string& source) {
    const auto pad_id = tokenizer->token_to_id(pad);
    if (!pad_id) fail(source, ": the pad token '", pad, "' is not in the vocabulary");
    HfTextTokenizerOptions options;
    options.clean.clear();  // transformers tokenizes the text as it is given
    return std::make_shared<const HfTextTokenizer>(std::move(tokenizer), options, *pad_id, -1, false, source);
}

}  // namespace

std::string clip_tokenizer_json(const ClipTokenizer::VocabularyData& vocabulary, const std::string& bos,
                                const std::string& eos, const std::string& unk, const std::string& pad) {
    json vocab = json::object();
    for (size_t id = 0; id < vocabulary.entries.size(); ++id) vocab[vocabulary.entries[id]] = id;
    json merges = json::array();
    for (const auto& [left, right] : vocabulary.merges) merges.push_back(json::array({left, right}));
    auto id_of = [&](const std::string& token) -> int64_t {
        if (!vocab.contains(token)) fail("the CLIP vocabulary has no special token '", token, "'");
        return vocab[token].get<int64_t>();
    };
    json added = json::array();
    std::vector<std::string> seen;
    for (const std::string& token : {bos, eos, unk, pad}) {
        if (std::find(seen.begin(), seen.end(), token) != seen.end()) continue;
        seen.push_back(token);
        added.push_back({{"id", id_of(token)},
                         {"content", token},
                         {"single_word", false},
                         {"lstrip", false},
                         {"rstrip", false},
                         {"normalized", false},
                         {"special", true}});
    }
    const json tokenizer = {
        {"version", "1.0"},
        {"added_tokens", added},
        {"normalizer",
         {{"type", "Sequence"},
          {"normalizers", json::array({{{"type", "NFC"}},
                                       {{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", " "}},
                                       {{"type", "Lowercase"}}})}}},
        {"pre_tokenizer",
         {{"type", "Sequence"},
          {"pretokenizers",
           json::array(
               {{{"type", "Split"},
                 {"pattern",
                  {{"Regex",
                    "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}"
                    "]+"}}},
                 {"behavior", "Removed"},
                 {"invert", true}},
                {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}})}}},
        {"post_processor",
         {{"type", "RobertaProcessing"},
          {"sep", json::array({eos, id_of(eos)})},
          {"cls", json::array({bos, id_of(bos)})},
          {"trim_offsets", false},
          {"add_prefix_space", false}}},
        {"model",
         {{"type", "BPE"},
          {"dropout", nullptr},
          {"unk_token", unk},
          {"continuing_subword_prefix", ""},
          {"end_of_word_suffix", "</w>"},
          {"fuse_unk", false},
          {"byte_fallback", false},
          {"ignore_merges", false},
          {"vocab", vocab},
          {"merges", merges}}},
    };
    return tokenizer.dump();
}

HfClipText hf_clip_tokenizer(const std::string& dir) {
    const fs::path d(dir);
    const SpecialTokens special = special_tokens(d);
    HfClipText text;
    for (const char* name : {"tokenizer_config.json", "special_tokens_map.json"}) {
        if (fs::exists(d / name)) text.files.push_back((d / name).string());
    }
    if (fs::exists(d / "tokenizer.json")) {
        text.source = "tokenizer.json";
        text.files.insert(text.files.begin(), (d / "tokenizer.json").string());
        text.tokenizer = wrap(HfTokenizer::from_file((d / "tokenizer.json").string()), special.pad, dir);
        return text;
    }
    const fs::path vocab_path = d / "vocab.json", merges_path = d / "merges.txt";
    if (!fs::exists(vocab_path) || !fs::exists(merges_path)) {
        text.source = "built-in BPE (the directory has no tokenizer.json, vocab.json or merges.txt)";
        return builtin_transformers_tokenizer();
    }
    text.source = "vocab.json + merges.txt";
    text.files.insert(text.files.begin(), {vocab_path.string(), merges_path.string()});
    ClipTokenizer::VocabularyData data;
    const json vocab = read_json_file(vocab_path.string());
    if (!vocab.is_object()) fail(vocab_path.string(), ": must be a JSON object of token ids");
    std::vector<std::pair<int64_t, std::string>> by_id;
    for (const auto& [token, id] : vocab.items()) {
        if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= (int64_t{1} << 24))
            fail(vocab_path.string(), ": the id of ", cj::describe(token), " must be an integer in [0, 2^24)");
        by_id.emplace_back(id.get<int64_t>(), token);
    }
    std::sort(by_id.begin(), by_id.end());
    for (size_t i = 0; i < by_id.size(); ++i) {
        if (by_id[i].first != static_cast<int64_t>(i))
            fail(vocab_path.string(), ": ids must be 0 .. ", by_id.size() - 1, " without gaps");
        data.entries.push_back(by_id[i].second);
    }
    // transformers 5 reads every line that is not empty and not a '#' comment and splits in two at
    // whitespace (other lines are skipped, as it does).
    std::istringstream lines(read_text_file(merges_path.string()));
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream parts(line);
        std::string left, right, extra;
        if (!(parts >> left) || left[0] == '#' || !(parts >> right) || (parts >> extra)) continue;
        data.merges.emplace_back(left, right);
    }
    const std::string json_text = clip_tokenizer_json(data, special.bos, special.eos, special.unk, special.pad);
    text.tokenizer = wrap(HfTokenizer::from_json(json_text, vocab_path.string() + " + merges.txt"), special.pad, dir);
    return text;
}

HfClipText builtin_transformers_tokenizer() {
    static const std::shared_ptr<const TextTokenizer> shared = [] {
        ClipTokenizer::VocabularyData data = ClipTokenizer::builtin_vocabulary();
        // A hub directory names them so; ids 49406 / 49407 as in the built-in vocabulary.
        data.entries[data.entries.size() - 2] = "<|startoftext|>";
        data.entries[data.entries.size() - 1] = "<|endoftext|>";
        const SpecialTokens s;
        return wrap(HfTokenizer::from_json(clip_tokenizer_json(data, s.bos, s.eos, s.unk, s.pad), "built-in BPE"),
                    s.pad, "built-in BPE");
    }();
    HfClipText text;
    text.tokenizer = shared;
    text.source = "built-in BPE with CLIPTokenizerFast rules";
    return text;
}

}  // namespace cliprt
