// The normalizers of tokenizer.json: BertNormalizer, NFC / NFD / NFKC / NFKD, Lowercase,
// StripAccents, Strip, Replace, Prepend, Sequence (Precompiled lives in hf_precompiled.cpp).
#include "cliprt/error.h"
#include "text/hf_components.h"
#include "text/hf_regex.h"
#include "text/hf_unicode.h"
#include "text/tokenizer_unicode.h"

namespace cliprt::text::hf {
namespace {

// Each operation below also moves `origin` (Normalizer::normalize) as the library's alignments move:
// a kept or replaced character keeps its source's alignment, inserted characters take the one of
// the source character they follow.

void lowercase(std::u32string& text, size_t& origin) {
    std::u32string out;
    out.reserve(text.size());
    size_t o = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const size_t before = out.size();
        append_lowercase(out, text[i]);
        if (i < origin) o += out.size() - before;
    }
    text = std::move(out);
    origin = o;
}

template <typename Keep>
void filter(std::u32string& text, size_t& origin, Keep&& keep) {
    std::u32string out;
    out.reserve(text.size());
    size_t o = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (!keep(text[i])) continue;
        out.push_back(text[i]);
        if (i < origin) ++o;
    }
    text = std::move(out);
    origin = o;
}

class BertNormalizer final : public Normalizer {
public:
    BertNormalizer(bool clean_text, bool chinese_chars, bool strip_accents, bool lowercase)
        : clean_text_(clean_text),
          chinese_chars_(chinese_chars),
          strip_accents_(strip_accents),
          lowercase_(lowercase) {}

    void normalize(std::u32string& text, size_t& origin) const override {
        if (clean_text_) {
            filter(text, origin, [](char32_t c) { return !(c == 0 || c == 0xFFFD || is_bert_other(c)); });
            for (char32_t& c : text)
                if (is_whitespace(c)) c = U' ';
        }
        if (chinese_chars_) {
            std::u32string out;
            out.reserve(text.size());
            size_t o = 0;
            for (size_t i = 0; i < text.size(); ++i) {
                const char32_t c = text[i];
                const bool chinese = is_chinese_char(c);
                if (chinese) out.push_back(U' ');
                out.push_back(c);
                if (chinese) out.push_back(U' ');
                if (i < origin) o += chinese ? 3 : 1;
            }
            text = std::move(out);
            origin = o;
        }
        if (strip_accents_) {
            text = hf::normalize(text, NormalForm::NFD, origin);
            filter(text, origin, [](char32_t c) { return !is_mark_nonspacing(c); });
        }
        if (lowercase_) lowercase(text, origin);
    }

private:
    bool clean_text_, chinese_chars_, strip_accents_, lowercase_;
};

class UnicodeNormalizer final : public Normalizer {
public:
    explicit UnicodeNormalizer(NormalForm form) : form_(form) {}
    void normalize(std::u32string& text, size_t& origin) const override { text = hf::normalize(text, form_, origin); }

private:
    NormalForm form_;
};

class Lowercase final : public Normalizer {
public:
    void normalize(std::u32string& text, size_t& origin) const override { lowercase(text, origin); }
};

class StripAccents final : public Normalizer {
public:
    void normalize(std::u32string& text, size_t& origin) const override {
        filter(text, origin, [](char32_t c) { return !is_combining_mark(c); });
    }
};

class Strip final : public Normalizer {
public:
    Strip(bool left, bool right) : left_(left), right_(right) {}
    void normalize(std::u32string& text, size_t& origin) const override {
        size_t begin = 0, end = text.size();
        if (left_)
            while (begin < end && is_whitespace(text[begin])) ++begin;
        if (right_)
            while (end > begin && is_whitespace(text[end - 1])) --end;
        text = text.substr(begin, end - begin);
        origin = origin_of_part(origin, begin, end);
    }

private:
    bool left_, right_;
};

class Replace final : public Normalizer {
public:
    Replace(std::u32string literal, std::unique_ptr<Regex> regex, std::u32string content)
        : literal_(std::move(literal)), regex_(std::move(regex)), content_(std::move(content)) {}
    void normalize(std::u32string& text, size_t& origin) const override {
        const std::vector<SplitPart> parts = regex_ ? regex_->parts(text) : literal_parts(text, literal_);
        std::u32string out;
        out.reserve(text.size());
        size_t o = 0;
        for (const SplitPart& p : parts) {
            if (p.is_match) {
                // The replacement takes the alignment of the last replaced character.
                out += content_;
                if (p.end > p.begin && p.end - 1 < origin) o += content_.size();
            } else {
                out.append(text, p.begin, p.end - p.begin);
                o += origin_of_part(origin, p.begin, p.end);
            }
        }
        text = std::move(out);
        origin = o;
    }

private:
    std::u32string literal_;
    std::unique_ptr<Regex> regex_;
    std::u32string content_;
};

class Prepend final : public Normalizer {
public:
    explicit Prepend(std::u32string prefix) : prefix_(std::move(prefix)) {}
    void normalize(std::u32string& text, size_t& origin) const override {
        if (text.empty()) return;
        text.insert(0, prefix_);
        // The prefix takes the alignment of the first character.
        if (origin > 0) origin += prefix_.size();
    }

private:
    std::u32string prefix_;
};

class Sequence final : public Normalizer {
public:
    explicit Sequence(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
    void normalize(std::u32string& text, size_t& origin) const override {
        for (const auto& step : steps_) step->normalize(text, origin);
    }

private:
    std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

// The {"String": ...} / {"Regex": ...} pattern object of Split and Replace.
void read_pattern(const json& j, const JsonPath& where, std::u32string& literal, std::unique_ptr<Regex>& regex) {
    const json& pattern = field(j, "pattern", where);
    const JsonPath at = where.at("pattern");
    if (pattern.is_object() && pattern.contains("String")) {
        literal = decode_utf8(string_field(pattern, "String", at));
    } else if (pattern.is_object() && pattern.contains("Regex")) {
        regex = std::make_unique<Regex>(string_field(pattern, "Regex", at), at.at("Regex").str());
    } else {
        fail(at.str(), " must be {\"String\": ...} or {\"Regex\": ...}");
    }
}

std::unique_ptr<Normalizer> make_normalizer(const json& j, const JsonPath& where) {
    if (j.is_null()) return nullptr;
    const std::string type = type_of(j, where);
    if (type == "BertNormalizer") {
        const bool lowercase = bool_field(j, "lowercase", where, true);
        const bool strip = bool_field(j, "strip_accents", where, lowercase);
        return std::make_unique<BertNormalizer>(bool_field(j, "clean_text", where, true),
                                                bool_field(j, "handle_chinese_chars", where, true), strip, lowercase);
    }
    if (type == "NFC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFC);
    if (type == "NFD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFD);
    if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKC);
    if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(NormalForm::NFKD);
    if (type == "Lowercase") return std::make_unique<Lowercase>();
    if (type == "StripAccents") return std::make_unique<StripAccents>();
    if (type == "Strip") {
        return std::make_unique<Strip>(bool_field(j, "strip_left", where, true),
                                       bool_field(j, "strip_right", where, true));
    }
    if (type == "Replace") {
        std::u32string literal;
        std::unique_ptr<Regex> regex;
        read_pattern(j, where, literal, regex);
        return std::make_unique<Replace>(std::move(literal), std::move(regex),
                                         decode_utf8(string_field(j, "content", where)));
    }
    if (type == "Prepend") return std::make_unique<Prepend>(decode_utf8(string_field(j, "prepend", where)));
    if (type == "Precompiled") return make_precompiled(j, where);
    if (type == "Sequence") {
        const json& list = field(j, "normalizers", where);
        if (!list.is_array()) fail(where.at("normalizers").str(), " must be an array");
        std::vector<std::unique_ptr<Normalizer>> steps;
        for (size_t i = 0; i < list.size(); ++i) {
            if (auto n = make_normalizer(list[i], where.at("normalizers").at(i))) steps.push_back(std::move(n));
        }
        return std::make_unique<Sequence>(std::move(steps));
    }
    unknown_type(type, where,
                 "BertNormalizer, NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip, Replace, Prepend, "
                 "Precompiled, Sequence");
}

}  // namespace cliprt::text::hf
