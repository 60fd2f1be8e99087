// The WordPiece model (BERT): greedy longest-prefix matching, later pieces carrying the
// continuing_subword_prefix; a word with an unmatched rest, or longer than
// max_input_chars_per_word characters, is the unknown token.
#include "cliprt/error.h"
#include "text/hf_components.h"
#include "text/hf_vocab.h"

namespace cliprt::text::hf {
namespace {

size_t utf8_length(const std::string& s) {
    size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

class WordPiece final : public Model {
public:
    WordPiece(Vocab vocab, int32_t unk_id, std::string prefix, size_t max_chars)
        : vocab_(std::move(vocab)), unk_id_(unk_id), prefix_(std::move(prefix)), max_chars_(max_chars) {}

    void tokenize(const std::string& word, std::vector<int32_t>& out) const override {
        if (utf8_length(word) > max_chars_) {
            out.push_back(unk_id_);
            return;
        }
        const size_t first = out.size();
        size_t start = 0;
        std::string candidate;
        while (start < word.size()) {
            size_t end = word.size();
            int32_t found = -1;
            while (start < end) {
                candidate.assign(start > 0 ? prefix_ : std::string());
                candidate.append(word, start, end - start);
                found = vocab_.find(candidate);
                if (found >= 0) break;
                // Back off by one character.
                do {
                    --end;
                } while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
            }
            if (found < 0) {
                out.resize(first);
                out.push_back(unk_id_);
                return;
            }
            out.push_back(found);
            start = end;
        }
    }

    std::optional<int32_t> token_to_id(const std::string& token) const override {
        const int32_t id = vocab_.find(token);
        return id >= 0 ? std::optional<int32_t>(id) : std::nullopt;
    }
    int32_t vocab_size() const override { return static_cast<int32_t>(vocab_.tokens.size()); }

private:
    Vocab vocab_;
    int32_t unk_id_;
    std::string prefix_;
    size_t max_chars_;
};

}  // namespace

std::unique_ptr<Model> make_wordpiece(const json& j, const JsonPath& where) {
    Vocab vocab = read_vocab_object(field(j, "vocab", where), where.at("vocab"));
    const std::string unk = j.contains("unk_token") ? string_field(j, "unk_token", where) : "[UNK]";
    const int32_t unk_id = vocab.find(unk);
    if (unk_id < 0) fail(where.at("unk_token").str(), ": '", unk, "' is not in the vocabulary");
    const std::string prefix =
        j.contains("continuing_subword_prefix") ? string_field(j, "continuing_subword_prefix", where) : "##";
    size_t max_chars = 100;
    if (j.contains("max_input_chars_per_word")) {
        const json& m = j["max_input_chars_per_word"];
        if (!m.is_number_unsigned())
            fail(where.at("max_input_chars_per_word").str(), " must be a non-negative integer");
        max_chars = m.get<size_t>();
    }
    return std::make_unique<WordPiece>(std::move(vocab), unk_id, prefix, max_chars);
}

}  // namespace cliprt::text::hf
