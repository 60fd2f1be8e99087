// The BPE model, byte-level (RoBERTa: the word is already GPT-2 byte characters) and
// SentencePiece-style (Gemma / SigLIP 2: byte_fallback to <0xAB> tokens for characters outside
// the vocabulary). Merges apply lowest rank first, leftmost first among equal ranks, as the
// library's priority queue does; dropout is a training-time option and is ignored.
#include <queue>

#include "cliprt/error.h"
#include "text/hf_components.h"
#include "text/hf_vocab.h"
#include "text/tokenizer_unicode.h"

namespace cliprt::text::hf {
namespace {

struct MergeTarget {
    int32_t rank;
    int32_t id;
};

uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

class Bpe final : public Model {
public:
    struct Options {
        std::string unk_token, prefix, suffix;
        bool fuse_unk = false, byte_fallback = false, ignore_merges = false;
    };

    Bpe(Vocab vocab, std::unordered_map<uint64_t, MergeTarget> merges, Options options)
        : vocab_(std::move(vocab)), merges_(std::move(merges)), o_(std::move(options)) {
        unk_id_ = o_.unk_token.empty() ? -1 : vocab_.find(o_.unk_token);
    }

    void tokenize(const std::string& word, std::vector<int32_t>& out) const override {
        if (o_.ignore_merges) {
            const int32_t id = vocab_.find(word);
            if (id >= 0) {
                out.push_back(id);
                return;
            }
        }
        struct Symbol {
            int32_t id;
            int prev, next;
            bool removed;
        };
        std::vector<Symbol> symbols;
        symbols.reserve(word.size());
        int32_t pending_unk = -1;  // a (possibly fused) unknown run not yet added
        auto add = [&symbols](int32_t id) {
            const int n = static_cast<int>(symbols.size());
            symbols.push_back({id, n - 1, n + 1, false});
        };
        std::string s;
        for (size_t i = 0; i < word.size();) {
            size_t len = 1;
            const auto b0 = static_cast<unsigned char>(word[i]);
            if (b0 >= 0xF0) {
                len = 4;
            } else if (b0 >= 0xE0) {
                len = 3;
            } else if (b0 >= 0xC0) {
                len = 2;
            }
            const bool first = i == 0, last = i + len >= word.size();
            s.assign(first ? std::string() : o_.prefix);
            s.append(word, i, len);
            if (last) s += o_.suffix;
            i += len;
            const int32_t id = vocab_.find(s);
            if (id >= 0) {
                if (pending_unk >= 0) add(pending_unk), pending_unk = -1;
                add(id);
                continue;
            }
            if (o_.byte_fallback) {
                std::vector<int32_t> bytes;
                for (char c : s) {
                    const int32_t b = vocab_.find(byte_token(static_cast<unsigned char>(c)));
                    if (b < 0) break;
                    bytes.push_back(b);
                }
                if (bytes.size() == s.size()) {
                    // Like the library, a byte run does not flush a pending unknown first.
                    for (int32_t b : bytes) add(b);
                    continue;
                }
            }
            if (unk_id_ >= 0) {
                if (pending_unk >= 0 && !o_.fuse_unk) add(pending_unk);
                pending_unk = unk_id_;
            }
        }
        if (pending_unk >= 0) add(pending_unk);
        if (!symbols.empty()) symbols.back().next = -1;
        merge_all(symbols);
        for (const Symbol& sym : symbols)
            if (!sym.removed) out.push_back(sym.id);
    }

    std::optional<int32_t> token_to_id(const std::string& token) const override {
        const int32_t id = vocab_.find(token);
        return id >= 0 ? std::optional<int32_t>(id) : std::nullopt;
    }
    int32_t vocab_size() const override { return static_cast<int32_t>(vocab_.tokens.size()); }

private:
    template <typename Symbols>
    void merge_all(Symbols& symbols) const {
        struct Candidate {
            int32_t rank;
            int pos;
            int32_t new_id;
            bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
        };
        std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
        auto push = [&](int left, int right) {
            auto it = merges_.find(pair_key(symbols[left].id, symbols[right].id));
            if (it != merges_.end()) queue.push({it->second.rank, left, it->second.id});
        };
        for (size_t i = 0; i + 1 < symbols.size(); ++i) push(static_cast<int>(i), static_cast<int>(i + 1));
        while (!queue.empty()) {
            const Candidate top = queue.top();
            queue.pop();
            auto& left = symbols[static_cast<size_t>(top.pos)];
            if (left.removed || left.next < 0) continue;
            auto& right = symbols[static_cast<size_t>(left.next)];
            // Skip entries that went stale when a neighbour merged first.
            auto it = merges_.find(pair_key(left.id, right.id));
            if (it == merges_.end() || it->second.id != top.new_id) continue;
            left.id = top.new_id;
            right.removed = true;
            left.next = right.next;
            if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.pos;
            if (left.prev >= 0) push(left.prev, top.pos);
            if (left.next >= 0) push(top.pos, left.next);
        }
    }

    Vocab vocab_;
    std::unordered_map<uint64_t, MergeTarget> merges_;
    Options o_;
    int32_t unk_id_ = -1;
};

}  // namespace

std::unique_ptr<Model> make_bpe(const json& j, const JsonPath& where) {
    Vocab vocab = read_vocab_object(field(j, "vocab", where), where.at("vocab"));
    Bpe::Options o;
    o.unk_token = optional_string(j, "unk_token", where);
    o.prefix = optional_string(j, "continuing_subword_prefix", where);
    o.suffix = optional_string(j, "end_of_word_suffix", where);
    o.fuse_unk = bool_field(j, "fuse_unk", where, false);
    o.byte_fallback = bool_field(j, "byte_fallback", where, false);
    o.ignore_merges = bool_field(j, "ignore_merges", where, false);
    if (!o.unk_token.empty() && vocab.find(o.unk_token) < 0)
        fail(where.at("unk_token").str(), ": '", o.unk_token, "' is not in the vocabulary");

    const json& list = field(j, "merges", where);
    if (!list.is_array()) fail(where.at("merges").str(), " must be an array");
    std::unordered_map<uint64_t, MergeTarget> merges;
    merges.reserve(list.size());
    for (size_t rank = 0; rank < list.size(); ++rank) {
        const JsonPath at = where.at("merges").at(rank);
        const json& m = list[rank];
        std::string a, b;
        if (m.is_string()) {  // the older "a b" form
            const std::string s = m.get<std::string>();
            const size_t space = s.find(' ');
            if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
                fail(at.str(), ": '", s, "' is not two tokens separated by one space");
            a = s.substr(0, space), b = s.substr(space + 1);
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            a = m[0].get<std::string>(), b = m[1].get<std::string>();
        } else {
            fail(at.str(), " must be \"a b\" or [\"a\", \"b\"]");
        }
        const int32_t ia = vocab.find(a), ib = vocab.find(b);
        if (ia < 0) fail(at.str(), ": '", a, "' is not in the vocabulary");
        if (ib < 0) fail(at.str(), ": '", b, "' is not in the vocabulary");
        const std::string tail = (!o.prefix.empty() && b.rfind(o.prefix, 0) == 0) ? b.substr(o.prefix.size()) : b;
        const int32_t merged = vocab.find(a + tail);
        if (merged < 0) fail(at.str(), ": the merged token '", a + tail, "' is not in the vocabulary");
        merges[pair_key(ia, ib)] =
            MergeTarget{static_cast<int32_t>(rank), merged};  // a repeated pair: the later rank, as the library keeps
    }
    return std::make_unique<Bpe>(std::move(vocab), std::move(merges), std::move(o));
}

}  // namespace cliprt::text::hf
