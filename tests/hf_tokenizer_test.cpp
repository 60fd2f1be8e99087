// Hugging Face tokenizer.json parity: for each tokenizer kind in tests/data/tokenizers/, every
// string of its corpus must give the ids the `tokenizers` library gave
// (tools/make_hf_tokenizer_goldens.py), and the truncated / padded rows must match too. Malformed
// files and invalid UTF-8 must give one clear error.
#include "cliprt/hf_tokenizer.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cliprt/error.h"

namespace {

namespace fs = std::filesystem;
using cliprt::HfTokenizer;
using nlohmann::json;

const fs::path kData = fs::path(CLIPRT_SOURCE_DIR) / "tests" / "data" / "tokenizers";

// Corpus strings on which cliprt is known to differ from the library, per kind, with the reason.
// Every other string must match exactly.
const std::map<std::string, std::map<std::string, std::string>> kKnownDifferences = {};

json read_gz_json(const fs::path& path) {
    gzFile f = gzopen(path.string().c_str(), "rb");
    if (!f) throw std::runtime_error("cannot open " + path.string());
    std::string text;
    char buffer[65536];
    int n = 0;
    while ((n = gzread(f, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
    gzclose(f);
    return json::parse(text);
}

std::string show(const std::vector<int32_t>& ids) {
    std::ostringstream out;
    for (size_t i = 0; i < ids.size(); ++i) out << (i ? " " : "") << ids[i];
    return out.str();
}

std::string escaped(const std::string& text) { return json(text).dump(); }

class HfTokenizerParity : public ::testing::TestWithParam<std::string> {};

TEST_P(HfTokenizerParity, EveryCorpusStringMatchesTheLibrary) {
    const fs::path dir = kData / GetParam();
    const json goldens = read_gz_json(dir / "goldens.json.gz");
    const auto tokenizer = HfTokenizer::from_file((dir / "tokenizer.json").string());
    EXPECT_EQ(tokenizer->vocab_size(), goldens["vocab_size"].get<int32_t>());
    const auto known_it = kKnownDifferences.find(GetParam());
    const std::map<std::string, std::string> none;
    const auto& known = known_it == kKnownDifferences.end() ? none : known_it->second;

    size_t mismatches = 0, checked = 0;
    std::ostringstream report;
    for (const json& c : goldens["cases"]) {
        const std::string text = c["text"].get<std::string>();
        const auto expected = c["ids"].get<std::vector<int32_t>>();
        const std::vector<int32_t> got = tokenizer->encode(text);
        ++checked;
        const bool listed = known.count(text) > 0;
        if (got == expected) {
            EXPECT_FALSE(listed) << escaped(text) << " is listed as a known difference but matches";
            continue;
        }
        if (listed) continue;
        if (++mismatches <= 20)
            report << "  " << escaped(text) << "\n    expected " << show(expected) << "\n    got      " << show(got)
                   << "\n";
    }
    EXPECT_GE(checked, 2000u);
    EXPECT_EQ(mismatches, 0u) << mismatches << " of " << checked << " strings differ (first 20):\n" << report.str();

    size_t row_mismatches = 0;
    std::ostringstream rows;
    for (const json& r : goldens["truncated"]) {
        const std::string text = r["text"].get<std::string>();
        const auto e = tokenizer->encode(text, r["max_length"].get<int>(), true, r["pad_id"].get<int32_t>());
        if (e.ids == r["ids"].get<std::vector<int32_t>>() &&
            e.attention_mask == r["attention_mask"].get<std::vector<int32_t>>())
            continue;
        if (++row_mismatches <= 5)
            rows << "  max_length " << r["max_length"] << " " << escaped(text.substr(0, 60)) << "\n    expected "
                 << show(r["ids"].get<std::vector<int32_t>>()) << "\n    got      " << show(e.ids) << "\n";
    }
    EXPECT_GT(goldens["truncated"].size(), 0u);
    EXPECT_EQ(row_mismatches, 0u) << rows.str();
}

std::vector<std::string> kinds() {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(kData))
        if (fs::exists(entry.path() / "goldens.json.gz")) out.push_back(entry.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

INSTANTIATE_TEST_SUITE_P(Kinds, HfTokenizerParity, ::testing::ValuesIn(kinds()), [](const auto& info) {
    std::string name = info.param;
    for (char& c : name)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
});

TEST(HfTokenizer, MiniLmSpecialTokensAndTruncation) {
    const auto t = HfTokenizer::from_file((kData / "all-minilm-l6-v2" / "tokenizer.json").string());
    EXPECT_EQ(t->token_to_id("[CLS]"), 101);
    EXPECT_EQ(t->token_to_id("[SEP]"), 102);
    EXPECT_EQ(t->num_special_tokens(), 2);
    EXPECT_EQ(t->encode("", true), (std::vector<int32_t>{101, 102}));
    EXPECT_EQ(t->encode("", false), std::vector<int32_t>{});
    const auto e = t->encode("hello world", 6, true, 0);
    EXPECT_EQ(e.ids.size(), 6u);
    EXPECT_EQ(e.attention_mask, (std::vector<int32_t>{1, 1, 1, 1, 0, 0}));
    EXPECT_EQ(e.ids.front(), 101);
    EXPECT_EQ(e.ids[3], 102);
}

// The message of the Error `f` throws ("" if it throws none).
template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const cliprt::Error& e) {
        return e.what();
    }
    return "";
}

std::string minilm_json() {
    std::ifstream in(kData / "all-minilm-l6-v2" / "tokenizer.json");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(HfTokenizer, InvalidUtf8IsAClearError) {
    const auto t = HfTokenizer::from_file((kData / "all-minilm-l6-v2" / "tokenizer.json").string());
    for (const std::string& bad :
         {std::string("a\xff"), std::string("\xc3"), std::string("\xed\xa0\x80"), std::string("ok \xc0\xaf")}) {
        const std::string message = error_of([&] { t->encode(bad); });
        EXPECT_NE(message.find("invalid UTF-8"), std::string::npos) << message;
    }
}

TEST(HfTokenizer, MalformedFilesNameTheFileAndField) {
    const json good = json::parse(minilm_json());
    auto expect_error = [](const std::string& text, const std::vector<std::string>& parts) {
        const std::string message = error_of([&] { HfTokenizer::from_json(text, "bad/tokenizer.json"); });
        ASSERT_FALSE(message.empty()) << "no error for " << text.substr(0, 80);
        for (const std::string& p : parts) EXPECT_NE(message.find(p), std::string::npos) << message << " lacks " << p;
    };
    expect_error("{\"model\": ", {"bad/tokenizer.json", "invalid JSON"});
    expect_error(std::string(100000, '[') + std::string(100000, ']'), {"bad/tokenizer.json", "nested deeper"});
    expect_error("[1, 2]", {"bad/tokenizer.json", "not a tokenizer.json object"});
    expect_error("{}", {"bad/tokenizer.json: model is missing"});

    json j = good;
    j["normalizer"]["type"] = "FancyNormalizer";
    expect_error(j.dump(), {"bad/tokenizer.json: normalizer.type", "FancyNormalizer"});
    j = good;
    j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "Whitespace"}}, {{"type", "Nope"}}}}};
    expect_error(j.dump(), {"pre_tokenizer.pretokenizers[1].type", "Nope"});
    j = good;
    j["model"]["type"] = "WordLevelish";
    expect_error(j.dump(), {"model.type", "WordLevelish"});
    j = good;
    j["model"].erase("vocab");
    expect_error(j.dump(), {"bad/tokenizer.json: model.vocab is missing"});
    j = good;
    j["model"]["vocab"]["hello"] = 40000;
    expect_error(j.dump(), {"model.vocab.hello", "out of range"});
    j = good;
    j["model"]["vocab"]["hello"] = -1;
    expect_error(j.dump(), {"model.vocab.hello", "out of range"});
    j = good;
    j["post_processor"]["special_tokens"]["[SEP]"]["ids"] = {99999};
    expect_error(j.dump(), {"post_processor.special_tokens.[SEP].ids[0]", "out of range"});
    j = good;
    j["model"]["unk_token"] = "<nothing>";
    expect_error(j.dump(), {"model.unk_token", "<nothing>"});
    j = good;
    j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
    expect_error(j.dump(), {"pre_tokenizer.pattern.Regex", "invalid regex"});
    j = good;
    j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "!!!"}};
    expect_error(j.dump(), {"normalizer.precompiled_charsmap", "base64"});
    EXPECT_NE(
        error_of([] { HfTokenizer::from_file("/nonexistent/tokenizer.json"); }).find("/nonexistent/tokenizer.json"),
        std::string::npos);
}

}  // namespace
