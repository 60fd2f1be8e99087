// The pre-tokenizers of tokenizer.json: BertPreTokenizer, Whitespace, WhitespaceSplit, Metaspace,
// Split, Punctuation, Digits, Sequence (ByteLevel lives in hf_byte_level.cpp).
#include "cliprt/error.h"
#include "text/hf_components.h"
#include "text/hf_regex.h"
#include "text/hf_unicode.h"
#include "text/tokenizer_unicode.h"

namespace cliprt::text::hf {

std::unique_ptr<PreTokenizer> make_byte_level(const json& j, const JsonPath& where);

namespace {

// Applies `split_one` to every piece, keeping the order.
template <typename F>
void split_all(std::vector<Piece>& pieces, F&& split_one) {
    std::vector<Piece> out;
    out.reserve(pieces.size());
    for (const Piece& p : pieces) split_one(p, out);
    pieces = std::move(out);
}

SplitBehavior read_behavior(const json& j, const JsonPath& where) {
    const std::string b = string_field(j, "behavior", where);
    if (b == "Removed") return SplitBehavior::Removed;
    if (b == "Isolated") return SplitBehavior::Isolated;
    if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
    if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
    if (b == "Contiguous") return SplitBehavior::Contiguous;
    fail(where.at("behavior").str(), ": unknown behavior '", b,
         "' (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)");
}

class BertPreTokenizer final : public PreTokenizer {
public:
    void pre_tokenize(std::vector<Piece>& pieces) const override {
        split_all(pieces, [](const Piece& p, std::vector<Piece>& out) {
            split_piece(p, char_parts(p.text, is_whitespace), SplitBehavior::Removed, out);
        });
        split_all(pieces, [](const Piece& p, std::vector<Piece>& out) {
            split_piece(p, char_parts(p.text, is_punctuation), SplitBehavior::Isolated, out);
        });
    }
};

// Whitespace: the matches of \w+|[^\w\s]+ (regex crate classes) are the pieces.
class Whitespace final : public PreTokenizer {
public:
    void pre_tokenize(std::vector<Piece>& pieces) const override {
        split_all(pieces, [](const Piece& p, std::vector<Piece>& out) {
            std::vector<SplitPart> parts;
            const std::u32string& t = p.text;
            size_t i = 0;
            while (i < t.size()) {
                const size_t begin = i;
                if (is_word_char(t[i])) {
                    while (i < t.size() && is_word_char(t[i])) ++i;
                    parts.push_back({begin, i, false});
                } else if (!is_whitespace(t[i])) {
                    while (i < t.size() && !is_word_char(t[i]) && !is_whitespace(t[i])) ++i;
                    parts.push_back({begin, i, false});
                } else {
                    while (i < t.size() && is_whitespace(t[i])) ++i;
                    parts.push_back({begin, i, true});
                }
            }
            split_piece(p, parts, SplitBehavior::Removed, out);
        });
    }
};

class WhitespaceSplit final : public PreTokenizer {
public:
    void pre_tokenize(std::vector<Piece>& pieces) const override {
        split_all(pieces, [](const Piece& p, std::vector<Piece>& out) {
            split_piece(p, char_parts(p.text, is_whitespace), SplitBehavior::Removed, out);
        });
    }
};

class Metaspace final : public PreTokenizer {
public:
    enum class Prepend { Always, First, Never };
    Metaspace(char32_t replacement, Prepend scheme, bool split)
        : replacement_(replacement), scheme_(scheme), split_(split) {}

    void pre_tokenize(std::vector<Piece>& pieces) const override {
        split_all(pieces, [this](const Piece& p, std::vector<Piece>& out) {
            Piece q = p;
            for (char32_t& c : q.text)
                if (c == U' ') c = replacement_;
            const bool starts = !q.text.empty() && q.text[0] == replacement_;
            if (!starts && (scheme_ == Prepend::Always || (scheme_ == Prepend::First && q.at_origin))) {
                q.text.insert(q.text.begin(), replacement_);
                if (q.origin > 0) ++q.origin;  // the prefix takes the first character's alignment
            }
            if (!split_) {
                if (!q.text.empty()) out.push_back(std::move(q));
                return;
            }
            const char32_t r = replacement_;
            split_piece(q, char_parts(q.text, [r](char32_t c) { return c == r; }), SplitBehavior::MergedWithNext, out);
        });
    }

private:
    char32_t replacement_;
    Prepend scheme_;
    bool split_;
};

class Split final : public PreTokenizer {
public:
    Split(std::u32string literal, std::unique_ptr<Regex> regex, SplitBehavior behavior, bool invert)
        : literal_(std::move(literal)), regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}

    void pre_tokenize(std::vector<Piece>& pieces) const override {
        split_all(pieces, [this](const Piece& p, std::vector<Piece>& out) {
            std::vector<SplitPart> parts = regex_ ? regex_->parts(p.text) : literal_parts(p.text, literal_);
            if (invert_) invert_parts(parts);
            split_piece(p, parts, behavior_, out);
        });
    }

private:
    std::u32string literal_;
    std::unique_ptr<Regex> regex_;
    SplitBehavior behavior_;
    bool invert_;
};

class Punctuation final : public PreTokenizer {
public:
    explicit Punctuation(SplitBehavior behavior) : behavior_(behavior) {}
    void pre_tokenize(std::vector<Piece>& pieces) const override {
        split_all(pieces, [this](const Piece& p, std::vector<Piece>& out) {
            split_piece(p, char_parts(p.text, is_punctuation), behavior_, out);
        });
    }

private:
    SplitBehavior behavior_;
};

class Digits final : public PreTokenizer {
public:
    explicit Digits(bool individual) : individual_(individual) {}
    void pre_tokenize(std::vector<Piece>& pieces) const override {
        split_all(pieces, [this](const Piece& p, std::vector<Piece>& out) {
            split_piece(p, char_parts(p.text, is_numeric),
                        individual_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous, out);
        });
    }

private:
    bool individual_;
};

class PreTokenizerSequence final : public PreTokenizer {
public:
    explicit PreTokenizerSequence(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
    void pre_tokenize(std::vector<Piece>& pieces) const override {
        for (const auto& step : steps_) step->pre_tokenize(pieces);
    }

private:
    std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

std::unique_ptr<PreTokenizer> make_metaspace(const json& j, const JsonPath& where) {
    const std::u32string replacement = decode_utf8(string_field(j, "replacement", where));
    if (replacement.size() != 1) fail(where.at("replacement").str(), " must be one character");
    Metaspace::Prepend scheme = Metaspace::Prepend::Always;
    if (j.contains("prepend_scheme") && !j["prepend_scheme"].is_null()) {
        const std::string s = string_field(j, "prepend_scheme", where);
        if (s == "always") {
            scheme = Metaspace::Prepend::Always;
        } else if (s == "first") {
            scheme = Metaspace::Prepend::First;
        } else if (s == "never") {
            scheme = Metaspace::Prepend::Never;
        } else {
            fail(where.at("prepend_scheme").str(), ": unknown scheme '", s, "' (always, first, never)");
        }
    }
    // Files written before prepend_scheme existed say add_prefix_space instead.
    if (j.contains("add_prefix_space") && j["add_prefix_space"].is_boolean() && !j["add_prefix_space"].get<bool>())
        scheme = Metaspace::Prepend::Never;
    return std::make_unique<Metaspace>(replacement[0], scheme, bool_field(j, "split", where, true));
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j, const JsonPath& where) {
    if (j.is_null()) return nullptr;
    const std::string type = type_of(j, where);
    if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
    if (type == "Whitespace") return std::make_unique<Whitespace>();
    if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplit>();
    if (type == "Metaspace") return make_metaspace(j, where);
    if (type == "ByteLevel") return make_byte_level(j, where);
    if (type == "Split") {
        std::u32string literal;
        std::unique_ptr<Regex> regex;
        read_pattern(j, where, literal, regex);
        return std::make_unique<Split>(std::move(literal), std::move(regex), read_behavior(j, where),
                                       bool_field(j, "invert", where, false));
    }
    if (type == "Punctuation") {
        const SplitBehavior b = j.contains("behavior") ? read_behavior(j, where) : SplitBehavior::Isolated;
        return std::make_unique<Punctuation>(b);
    }
    if (type == "Digits") return std::make_unique<Digits>(bool_field(j, "individual_digits", where, false));
    if (type == "Sequence") {
        const json& list = field(j, "pretokenizers", where);
        if (!list.is_array()) fail(where.at("pretokenizers").str(), " must be an array");
        std::vector<std::unique_ptr<PreTokenizer>> steps;
        for (size_t i = 0; i < list.size(); ++i) {
            if (auto p = make_pre_tokenizer(list[i], where.at("pretokenizers").at(i))) steps.push_back(std::move(p));
        }
        return std::make_unique<PreTokenizerSequence>(std::move(steps));
    }
    unknown_type(type, where,
                 "BertPreTokenizer, Whitespace, WhitespaceSplit, ByteLevel, Metaspace, Split, Punctuation, Digits, "
                 "Sequence");
}

}  // namespace cliprt::text::hf
