// The Unigram model (SentencePiece: T5, XLM-R, SigLIP): the Viterbi path over the scored pieces
// that prefix each position, an unknown character scoring min_score - 10; consecutive unknowns fuse
// into one; with byte_fallback an unknown run becomes its <0xAB> byte tokens when they all exist.
#include <limits>

#include "cliprt/error.h"
#include "text/hf_components.h"
#include "text/hf_vocab.h"

namespace cliprt::text::hf {
namespace {

constexpr double kUnknownPenalty = 10.0;

// A byte trie over the pieces for common-prefix search.
class PieceTrie {
public:
    void insert(const std::string& key, int32_t id) {
        uint32_t node = 0;
        for (char c : key) {
            const uint64_t edge = (static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(c);
            auto it = edges_.find(edge);
            if (it == edges_.end()) {
                it = edges_.emplace(edge, static_cast<uint32_t>(ids_.size())).first;
                ids_.push_back(-1);
            }
            node = it->second;
        }
        ids_[node] = id;
    }
    // Calls f(length, id) for each piece that prefixes text[begin..], shortest first.
    template <typename F>
    void prefixes(const std::string& text, size_t begin, F&& f) const {
        uint32_t node = 0;
        for (size_t i = begin; i < text.size(); ++i) {
            auto it = edges_.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(text[i]));
            if (it == edges_.end()) return;
            node = it->second;
            if (ids_[node] >= 0) f(i + 1 - begin, ids_[node]);
        }
    }

private:
    std::unordered_map<uint64_t, uint32_t> edges_;
    std::vector<int32_t> ids_{-1};  // node 0 is the root
};

size_t char_length(unsigned char b0) { return b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 1; }

class Unigram final : public Model {
public:
    Unigram(std::vector<std::string> pieces, std::vector<double> scores, int32_t unk_id, bool byte_fallback)
        : pieces_(std::move(pieces)), scores_(std::move(scores)), unk_id_(unk_id), byte_fallback_(byte_fallback) {
        min_score_ = std::numeric_limits<double>::infinity();
        for (size_t id = 0; id < pieces_.size(); ++id) {
            ids_[pieces_[id]] = static_cast<int32_t>(id);  // a repeated piece: the later id, as the library keeps
            if (scores_[id] < min_score_) min_score_ = scores_[id];
        }
        for (const auto& [piece, id] : ids_) trie_.insert(piece, id);
    }

    void tokenize(const std::string& word, std::vector<int32_t>& out) const override {
        if (word.empty()) return;
        struct Node {
            int32_t id = 0;
            double score = 0.0;
            int64_t starts_at = -1;
        };
        const size_t size = word.size();
        std::vector<Node> best(size + 1);
        const double unk_score = min_score_ - kUnknownPenalty;
        for (size_t at = 0; at < size;) {
            const double here = best[at].score;
            const size_t mblen = char_length(static_cast<unsigned char>(word[at]));
            bool single = false;
            trie_.prefixes(word, at, [&](size_t length, int32_t id) {
                Node& target = best[at + length];
                const double candidate = scores_[static_cast<size_t>(id)] + here;
                if (target.starts_at < 0 || candidate > target.score) {
                    target = {id, candidate, static_cast<int64_t>(at)};
                }
                if (length == mblen) single = true;
            });
            if (!single) {
                if (unk_id_ < 0)
                    fail("the Unigram model has no unk_id but '", word.substr(at, mblen), "' is not in its vocabulary");
                Node& target = best[at + mblen];
                const double candidate = unk_score + here;
                if (target.starts_at < 0 || candidate > target.score)
                    target = {unk_id_, candidate, static_cast<int64_t>(at)};
            }
            at += mblen;
        }
        // Back from the end; unknown runs fuse into one string.
        std::vector<std::pair<size_t, size_t>> spans;  // [begin, end) in reverse order
        std::vector<bool> unknown;
        for (size_t end = size; end > 0;) {
            const Node& n = best[end];
            const auto begin = static_cast<size_t>(n.starts_at);
            const bool is_unk = n.id == unk_id_;
            if (is_unk && !unknown.empty() && unknown.back()) {
                spans.back().first = begin;
            } else {
                spans.emplace_back(begin, end);
                unknown.push_back(is_unk);
            }
            end = begin;
        }
        for (size_t k = spans.size(); k-- > 0;) {
            const std::string piece = word.substr(spans[k].first, spans[k].second - spans[k].first);
            auto it = ids_.find(piece);
            if (it != ids_.end()) {
                out.push_back(it->second);
                continue;
            }
            if (byte_fallback_) {
                std::vector<int32_t> bytes;
                for (char c : piece) {
                    auto b = ids_.find(byte_token(static_cast<unsigned char>(c)));
                    if (b == ids_.end()) break;
                    bytes.push_back(b->second);
                }
                if (bytes.size() == piece.size()) {
                    out.insert(out.end(), bytes.begin(), bytes.end());
                    continue;
                }
            }
            out.push_back(unk_id_);
        }
    }

    std::optional<int32_t> token_to_id(const std::string& token) const override {
        auto it = ids_.find(token);
        return it != ids_.end() ? std::optional<int32_t>(it->second) : std::nullopt;
    }
    int32_t vocab_size() const override { return static_cast<int32_t>(pieces_.size()); }

private:
    std::vector<std::string> pieces_;
    std::vector<double> scores_;
    std::unordered_map<std::string, int32_t> ids_;
    PieceTrie trie_;
    double min_score_;
    int32_t unk_id_;
    bool byte_fallback_;
};

}  // namespace

std::unique_ptr<Model> make_unigram(const json& j, const JsonPath& where) {
    const json& vocab = field(j, "vocab", where);
    const JsonPath at = where.at("vocab");
    if (!vocab.is_array() || vocab.empty()) fail(at.str(), " must be a non-empty array of [piece, score]");
    std::vector<std::string> pieces;
    std::vector<double> scores;
    pieces.reserve(vocab.size());
    scores.reserve(vocab.size());
    for (size_t i = 0; i < vocab.size(); ++i) {
        const json& e = vocab[i];
        if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
            fail(at.at(i).str(), " must be [piece, score]");
        pieces.push_back(e[0].get<std::string>());
        scores.push_back(e[1].get<double>());
    }
    int32_t unk_id = -1;
    if (j.contains("unk_id") && !j["unk_id"].is_null()) {
        const json& u = j["unk_id"];
        if (!u.is_number_integer()) fail(where.at("unk_id").str(), " must be an integer");
        const int64_t id = u.get<int64_t>();
        if (id < 0 || id >= static_cast<int64_t>(pieces.size()))
            fail(where.at("unk_id").str(), ": id ", id, " is out of range (the vocabulary has ", pieces.size(),
                 " pieces)");
        unk_id = static_cast<int32_t>(id);
    }
    return std::make_unique<Unigram>(std::move(pieces), std::move(scores), unk_id,
                                     bool_field(j, "byte_fallback", where, false));
}

}  // namespace cliprt::text::hf
