// ClipTokenizer: vocabulary loading and byte-level BPE (open_clip tokenizer.py SimpleTokenizer).
#include "cliprt/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <queue>
#include <sstream>

#include "cliprt/error.h"
#include "text/tokenizer_clean.h"
#include "text/tokenizer_split.h"
#include "text/tokenizer_unicode.h"
#include "text/tokenizer_vocab.h"

namespace cliprt {
namespace {

constexpr const char* kEndOfWord = "</w>";

bool is_printable_byte(int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others are moved to
// U+0100 and up, so every byte is a visible character in vocabulary files.
std::array<char32_t, 256> bytes_to_unicode() {
    std::array<char32_t, 256> map{};
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) map[b] = is_printable_byte(b) ? static_cast<char32_t>(b) : next++;
    return map;
}

// The order of the first 256 vocabulary entries: bytes_to_unicode's dict order, printable first.
std::vector<int> byte_order() {
    std::vector<int> order;
    for (int pass = 0; pass < 2; ++pass) {
        for (int b = 0; b < 256; ++b) {
            if (is_printable_byte(b) == (pass == 0)) order.push_back(b);
        }
    }
    return order;
}

std::string byte_symbol(int b) {
    std::string s;
    text::append_utf8(s, bytes_to_unicode()[b]);
    return s;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    for (size_t pos = 0; pos < text.size();) {
        size_t end = std::min(text.find('\n', pos), text.size());
        lines.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return lines;
}

bool is_field_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// "left right" (Python's str.split(): exactly two whitespace-separated fields).
std::pair<std::string, std::string> parse_merge(const std::string& line, const std::string& where) {
    std::vector<std::string> fields;
    for (size_t pos = 0; pos < line.size();) {
        while (pos < line.size() && is_field_space(line[pos])) ++pos;
        size_t end = pos;
        while (end < line.size() && !is_field_space(line[end])) ++end;
        if (end > pos) fields.push_back(line.substr(pos, end - pos));
        pos = end;
    }
    if (fields.size() != 2) fail(where, ": expected a merge \"left right\", got \"", line, "\"");
    return {fields[0], fields[1]};
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot open tokenizer file ", path);
    std::ostringstream data;
    data << in.rdbuf();
    return data.str();
}

}  // namespace

// open_clip builds the vocabulary as: 256 byte symbols, the same with "</w>", one entry per merge,
// then the special tokens; merges are lines 1..48894 of the file.
ClipTokenizer::VocabularyData ClipTokenizer::builtin_vocabulary() {
    constexpr size_t kMerges = 49152 - 256 - 2;
    std::vector<std::string> lines = split_lines(text::builtin_bpe_text(kMerges + 1));
    if (lines.size() < kMerges + 1) fail("the built-in BPE vocabulary has only ", lines.size(), " lines");
    VocabularyData data;
    for (size_t i = 1; i <= kMerges; ++i) data.merges.push_back(parse_merge(lines[i], "built-in BPE vocabulary"));
    for (int b : byte_order()) data.entries.push_back(byte_symbol(b));
    for (int b : byte_order()) data.entries.push_back(byte_symbol(b) + kEndOfWord);
    for (const auto& [left, right] : data.merges) data.entries.push_back(left + right);
    data.entries.push_back("<start_of_text>");
    data.entries.push_back("<end_of_text>");
    return data;
}

ClipTokenizer::ClipTokenizer(const Vocabulary& vocab, const MergeList& merges, const std::string& start_token,
                             const std::string& end_token, const std::string& source) {
    auto id_of = [&](const std::string& token) {
        auto it = vocab.find(token);
        if (it == vocab.end()) fail(source, ": the vocabulary has no entry \"", token, "\"");
        return it->second;
    };
    for (int b = 0; b < 256; ++b) {
        byte_id_[b] = id_of(byte_symbol(b));
        byte_end_id_[b] = id_of(byte_symbol(b) + kEndOfWord);
    }
    merges_.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const auto& [left, right] = merges[rank];
        uint64_t key =
            (static_cast<uint64_t>(static_cast<uint32_t>(id_of(left))) << 32) | static_cast<uint32_t>(id_of(right));
        // A repeated pair takes its last rank, as dict(zip(merges, range(...))) does.
        merges_[key] = Merge{static_cast<int32_t>(rank), id_of(left + right)};
    }
    start_of_text_ = id_of(start_token);
    end_of_text_ = id_of(end_token);
    for (const auto& entry : vocab) vocab_size_ = std::max(vocab_size_, entry.second + 1);
}

const ClipTokenizer& ClipTokenizer::builtin() {
    static const ClipTokenizer tokenizer = [] {
        VocabularyData data = builtin_vocabulary();
        Vocabulary vocab;
        vocab.reserve(data.entries.size());
        for (size_t id = 0; id < data.entries.size(); ++id) vocab[data.entries[id]] = static_cast<int32_t>(id);
        return ClipTokenizer(vocab, data.merges, "<start_of_text>", "<end_of_text>", "built-in BPE vocabulary");
    }();
    return tokenizer;
}

ClipTokenizer ClipTokenizer::from_files(const std::string& vocab_json_path, const std::string& merges_txt_path) {
    Vocabulary vocab;
    try {
        nlohmann::json json = nlohmann::json::parse(read_file(vocab_json_path));
        for (const auto& [token, id] : json.items()) vocab[token] = id.get<int32_t>();
    } catch (const nlohmann::json::exception& e) {
        fail(vocab_json_path, ": not a JSON object of token ids (", e.what(), ")");
    }
    MergeList merges;
    std::vector<std::string> lines = split_lines(read_file(merges_txt_path));
    for (size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (line.rfind("#version", 0) == 0 || line.find_first_not_of(" \t\r") == std::string::npos) continue;
        merges.push_back(parse_merge(line, merges_txt_path + ":" + std::to_string(i + 1)));
    }
    // Hugging Face names the special tokens <|startoftext|> / <|endoftext|>.
    bool hf_names = vocab.count("<|startoftext|>") != 0;
    return ClipTokenizer(vocab, merges, hf_names ? "<|startoftext|>" : "<start_of_text>",
                         hf_names ? "<|endoftext|>" : "<end_of_text>", vocab_json_path);
}

std::string ClipTokenizer::clean(const std::string& text) {
    return text::encode_utf8(text::clean_lower(text::decode_utf8(text)));
}

// SimpleTokenizer.bpe: repeatedly take the adjacent pair of lowest rank and merge every occurrence
// of it, left to right without overlap, until no known pair is left. Done here on a linked list of
// symbols with a heap of candidate pairs ordered by (rank, position), so a word of n bytes costs
// O(n log n) rather than a full rescan per merge (a 100 KB word took 16 s). All candidates of the
// lowest rank are taken as one round, in position order, and pairs that the round creates wait for
// the next round, exactly as the rescanning loop does; so the ids are the same.
void ClipTokenizer::encode_word(const std::string& word, std::vector<int32_t>& out) const {
    const int32_t n = static_cast<int32_t>(word.size());
    if (n == 0) return;
    std::vector<int32_t> id(static_cast<size_t>(n)), prev(static_cast<size_t>(n)), next(static_cast<size_t>(n));
    std::vector<char> alive(static_cast<size_t>(n), 1);
    for (int32_t i = 0; i < n; ++i) {
        const auto b = static_cast<unsigned char>(word[static_cast<size_t>(i)]);
        id[i] = i + 1 == n ? byte_end_id_[b] : byte_id_[b];
        prev[i] = i - 1;
        next[i] = i + 1 < n ? i + 1 : -1;
    }
    auto pair_key = [](int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    };
    struct Candidate {
        int32_t rank, pos, left, right;
        bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
    auto push = [&](int32_t p) {
        const int32_t q = next[p];
        if (q < 0) return;
        const auto it = merges_.find(pair_key(id[p], id[q]));
        if (it != merges_.end()) heap.push({it->second.rank, p, id[p], id[q]});
    };
    // Still the pair it was when pushed (the heap keeps stale entries instead of removing them).
    auto valid = [&](const Candidate& c) {
        return alive[c.pos] && id[c.pos] == c.left && next[c.pos] >= 0 && id[next[c.pos]] == c.right;
    };
    for (int32_t i = 0; i + 1 < n; ++i) push(i);
    std::vector<Candidate> round;
    std::vector<int32_t> merged;
    while (!heap.empty()) {
        const Candidate top = heap.top();
        heap.pop();
        if (!valid(top)) continue;
        round.assign(1, top);
        while (!heap.empty() && heap.top().rank == top.rank) {
            round.push_back(heap.top());
            heap.pop();
        }
        const int32_t merged_id = merges_.at(pair_key(top.left, top.right)).id;
        merged.clear();
        for (const Candidate& c : round) {  // in position order; a pair whose left symbol went is skipped
            if (!valid(c) || (!merged.empty() && merged.back() == c.pos)) continue;
            const int32_t q = next[c.pos];
            id[c.pos] = merged_id;
            alive[q] = 0;
            next[c.pos] = next[q];
            if (next[q] >= 0) prev[next[q]] = c.pos;
            merged.push_back(c.pos);
        }
        for (const int32_t m : merged) {
            if (prev[m] >= 0) push(prev[m]);
            push(m);
        }
    }
    for (int32_t i = 0; i >= 0; i = next[i]) out.push_back(id[i]);
}

std::vector<int32_t> ClipTokenizer::encode(const std::string& text) const {
    std::u32string cleaned = text::clean_lower(text::decode_utf8(text));
    std::vector<int32_t> ids;
    for (std::u32string_view word : text::split_words(cleaned)) {
        // Only the exact special names are special (open_clip's BPE cache holds just those).
        if (word == text::kStartOfText) {
            ids.push_back(start_of_text_);
        } else if (word == text::kEndOfText) {
            ids.push_back(end_of_text_);
        } else {
            encode_word(text::encode_utf8(word), ids);
        }
    }
    return ids;
}

std::vector<int32_t> ClipTokenizer::tokens(const std::string& text, int context_length) const {
    if (context_length < 1) fail("tokenizer context length must be positive, got ", context_length);
    std::vector<int32_t> ids{start_of_text_};
    std::vector<int32_t> body = encode(text);
    ids.insert(ids.end(), body.begin(), body.end());
    ids.push_back(end_of_text_);
    if (ids.size() > static_cast<size_t>(context_length)) {
        ids.resize(context_length);
        ids.back() = end_of_text_;
    }
    return ids;
}

Tensor ClipTokenizer::tokenize(const std::vector<std::string>& texts, int context_length) const {
    if (context_length < 1) fail("tokenizer context length must be positive, got ", context_length);
    std::vector<int32_t> values(texts.size() * context_length, 0);
    for (size_t i = 0; i < texts.size(); ++i) {
        std::vector<int32_t> ids = tokens(texts[i], context_length);
        std::copy(ids.begin(), ids.end(), values.begin() + i * context_length);
    }
    return Tensor::from_i32(Shape{static_cast<int64_t>(texts.size()), context_length}, std::move(values));
}

}  // namespace cliprt
