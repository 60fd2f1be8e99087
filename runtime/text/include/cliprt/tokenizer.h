// The CLIP text tokenizer with open_clip's SimpleTokenizer semantics: text cleaning (ftfy's
// deterministic fixes, html unescaping, whitespace, lowercase), the split pattern, byte-level BPE,
// <start_of_text>/<end_of_text>, truncation keeping <end_of_text> last and zero padding.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cliprt/tensor.h"

namespace cliprt {

class ClipTokenizer {
public:
    static constexpr int kDefaultContextLength = 77;

    // open_clip's bpe_simple_vocab_16e6 (compiled into the library, inflated on first use):
    // 49408 ids, <start_of_text> = 49406, <end_of_text> = 49407.
    static const ClipTokenizer& builtin();

    // A Hugging Face CLIPTokenizer's vocab.json and merges.txt (as in a hub model directory); the
    // same cleaning and splitting, so the standard files give the same ids as builtin().
    static ClipTokenizer from_files(const std::string& vocab_json_path, const std::string& merges_txt_path);

    // open_clip's clean='lower' on UTF-8 text; throws Error on invalid UTF-8.
    static std::string clean(const std::string& text);

    // BPE ids of the text, without start/end tokens (open_clip SimpleTokenizer.encode).
    std::vector<int32_t> encode(const std::string& text) const;

    // <start_of_text>, encode(text), <end_of_text>; cut to context_length keeping <end_of_text> last.
    std::vector<int32_t> tokens(const std::string& text, int context_length = kDefaultContextLength) const;

    // i32 [texts.size(), context_length]: tokens() of each text, zero padded (open_clip __call__).
    Tensor tokenize(const std::vector<std::string>& texts, int context_length = kDefaultContextLength) const;

    int32_t start_of_text() const { return start_of_text_; }
    int32_t end_of_text() const { return end_of_text_; }
    int32_t vocab_size() const { return vocab_size_; }

    // Vocabulary entries are byte-level BPE symbols written with GPT-2's byte-to-character map,
    // an end-of-word symbol carrying the suffix "</w>"; merges are pairs of entries in rank order.
    using Vocabulary = std::unordered_map<std::string, int32_t>;
    using MergeList = std::vector<std::pair<std::string, std::string>>;
    // source names the files in error messages.
    ClipTokenizer(const Vocabulary& vocab, const MergeList& merges, const std::string& start_token,
                  const std::string& end_token, const std::string& source);

    // The built-in vocabulary as open_clip lays it out: entries in id order (ending with
    // <start_of_text>, <end_of_text>) and the merges in rank order; e.g. to write HF files.
    struct VocabularyData {
        std::vector<std::string> entries;
        MergeList merges;
    };
    static VocabularyData builtin_vocabulary();

private:
    struct Merge {
        int32_t rank;
        int32_t id;
    };
    void encode_word(const std::string& word, std::vector<int32_t>& out) const;

    std::array<int32_t, 256> byte_id_{};          // a byte inside a word
    std::array<int32_t, 256> byte_end_id_{};      // a byte ending a word ("</w>")
    std::unordered_map<uint64_t, Merge> merges_;  // key: (left id << 32) | right id
    int32_t start_of_text_ = 0;
    int32_t end_of_text_ = 0;
    int32_t vocab_size_ = 0;
};

}  // namespace cliprt
