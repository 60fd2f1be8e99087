// The BPE merge loop at bounded cost (issue 19, item 12): a 100 KB word, which took 16 s with a full
// rescan per merge, now takes milliseconds; the ids are those of open_clip's bpe() written out here
// on strings (a second, independent implementation) for every word short enough for it.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "cliprt/tokenizer.h"

namespace {

using cliprt::ClipTokenizer;

// open_clip SimpleTokenizer.bpe on a word of ASCII letters (whose byte symbols are themselves).
class ReferenceBpe {
public:
    ReferenceBpe() {
        const ClipTokenizer::VocabularyData data = ClipTokenizer::builtin_vocabulary();
        for (size_t id = 0; id < data.entries.size(); ++id) ids_[data.entries[id]] = static_cast<int32_t>(id);
        for (size_t rank = 0; rank < data.merges.size(); ++rank) ranks_[data.merges[rank]] = static_cast<int>(rank);
    }
    std::vector<int32_t> encode(const std::string& letters) const {
        std::vector<std::string> word;
        for (char c : letters) word.emplace_back(1, c);
        word.back() += "</w>";
        while (word.size() > 1) {
            int best = -1;
            std::pair<std::string, std::string> bigram;
            for (size_t i = 0; i + 1 < word.size(); ++i) {
                const auto it = ranks_.find({word[i], word[i + 1]});
                if (it != ranks_.end() && (best < 0 || it->second < best)) {
                    best = it->second;
                    bigram = it->first;
                }
            }
            if (best < 0) break;
            std::vector<std::string> merged;
            for (size_t i = 0; i < word.size();) {
                if (i + 1 < word.size() && word[i] == bigram.first && word[i + 1] == bigram.second) {
                    merged.push_back(bigram.first + bigram.second);
                    i += 2;
                } else {
                    merged.push_back(word[i++]);
                }
            }
            word.swap(merged);
        }
        std::vector<int32_t> out;
        for (const auto& symbol : word) out.push_back(ids_.at(symbol));
        return out;
    }

private:
    std::unordered_map<std::string, int32_t> ids_;
    std::map<std::pair<std::string, std::string>, int> ranks_;
};

std::string random_letters(std::mt19937& rng, size_t n, int alphabet) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + rng() % alphabet);
    return s;
}

TEST(TokenizerBpe, SameIdsAsOpenClipsLoop) {
    const ReferenceBpe reference;
    const ClipTokenizer& tok = ClipTokenizer::builtin();
    std::mt19937 rng(19);
    std::vector<std::string> words = {"a",
                                      "aa",
                                      "aaa",
                                      "aaaaaaaaaaaaaaaaaaaaaaa",
                                      "abababababababa",
                                      "photograph",
                                      "mississippi",
                                      std::string(999, 'a'),
                                      std::string(1000, 'z')};
    for (int i = 0; i < 300; ++i)
        words.push_back(random_letters(rng, 1 + rng() % 40, 1 + static_cast<int>(rng() % 26)));
    for (int i = 0; i < 10; ++i) words.push_back(random_letters(rng, 2000, 26));
    for (int i = 0; i < 10; ++i) words.push_back(random_letters(rng, 2000, 3));  // long runs of few merges
    for (const std::string& w : words) ASSERT_EQ(tok.encode(w), reference.encode(w)) << w.substr(0, 60);
}

// One word of 100 KB: its tokens spell the word (checked through the vocabulary entries).
TEST(TokenizerBpe, HundredKilobyteWord) {
    const ClipTokenizer::VocabularyData data = ClipTokenizer::builtin_vocabulary();
    std::mt19937 rng(12);
    for (const std::string& word :
         {random_letters(rng, 100000, 26), std::string(100000, 'a'), random_letters(rng, 100000, 2)}) {
        const std::vector<int32_t> ids = ClipTokenizer::builtin().encode(word);
        std::string spelled;
        for (int32_t id : ids) spelled += data.entries.at(static_cast<size_t>(id));
        EXPECT_EQ(spelled, word + "</w>");
        EXPECT_LT(ids.size(), word.size());
    }
}

}  // namespace
