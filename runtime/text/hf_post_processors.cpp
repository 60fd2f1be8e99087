// The post-processors of tokenizer.json for a single sequence: TemplateProcessing (its "single"
// template), BertProcessing ([CLS] A [SEP]), RobertaProcessing (<s> A </s>), ByteLevel (offsets
// only: the ids are unchanged) and Sequence.
#include <algorithm>

#include "cliprt/error.h"
#include "text/hf_components.h"

namespace cliprt::text::hf {
namespace {

// A template: special ids with the sequence's place marked by -1.
class Template final : public PostProcessor {
public:
    explicit Template(std::vector<int32_t> items) : items_(std::move(items)) {}
    size_t added_tokens() const override {
        return items_.size() - static_cast<size_t>(std::count(items_.begin(), items_.end(), -1));
    }
    void process(std::vector<int32_t>& ids) const override {
        std::vector<int32_t> out;
        out.reserve(ids.size() + items_.size());
        for (int32_t item : items_) {
            if (item == -1) {
                out.insert(out.end(), ids.begin(), ids.end());
            } else {
                out.push_back(item);
            }
        }
        ids = std::move(out);
    }

private:
    std::vector<int32_t> items_;
};

class Sequence final : public PostProcessor {
public:
    explicit Sequence(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
    size_t added_tokens() const override {
        size_t n = 0;
        for (const auto& s : steps_) n += s->added_tokens();
        return n;
    }
    void process(std::vector<int32_t>& ids) const override {
        for (const auto& s : steps_) s->process(ids);
    }

private:
    std::vector<std::unique_ptr<PostProcessor>> steps_;
};

class Identity final : public PostProcessor {
public:
    size_t added_tokens() const override { return 0; }
    void process(std::vector<int32_t>&) const override {}
};

int32_t checked_id(const json& v, const JsonPath& where, int32_t vocab_size) {
    if (!v.is_number_integer()) fail(where.str(), " must be an integer id");
    const int64_t id = v.get<int64_t>();
    if (id < 0 || id >= vocab_size)
        fail(where.str(), ": id ", id, " is out of range (the vocabulary has ", vocab_size, " ids)");
    return static_cast<int32_t>(id);
}

// BertProcessing / RobertaProcessing: "cls": [token, id], "sep": [token, id].
int32_t pair_id(const json& j, const char* key, const JsonPath& where, int32_t vocab_size) {
    const json& p = field(j, key, where);
    if (!p.is_array() || p.size() != 2 || !p[0].is_string()) fail(where.at(key).str(), " must be [token, id]");
    return checked_id(p[1], where.at(key).at(1), vocab_size);
}

std::unique_ptr<PostProcessor> make_template(const json& j, const JsonPath& where, int32_t vocab_size) {
    const json& specials = field(j, "special_tokens", where);
    const json& single = field(j, "single", where);
    if (!single.is_array()) fail(where.at("single").str(), " must be an array");
    std::vector<int32_t> items;
    for (size_t i = 0; i < single.size(); ++i) {
        const JsonPath at = where.at("single").at(i);
        const json& piece = single[i];
        if (piece.is_object() && piece.contains("Sequence")) {
            const std::string id = string_field(piece["Sequence"], "id", at.at("Sequence"));
            if (id != "A")
                fail(at.at("Sequence").at("id").str(), ": a single-sequence template can only use A, not ", id);
            items.push_back(-1);
        } else if (piece.is_object() && piece.contains("SpecialToken")) {
            const std::string name = string_field(piece["SpecialToken"], "id", at.at("SpecialToken"));
            const JsonPath sp = where.at("special_tokens").at(name);
            if (!specials.is_object() || !specials.contains(name))
                fail(sp.str(), " is missing (used by ", at.str(), ")");
            const json& ids = field(specials[name], "ids", sp);
            if (!ids.is_array()) fail(sp.at("ids").str(), " must be an array");
            for (size_t k = 0; k < ids.size(); ++k) items.push_back(checked_id(ids[k], sp.at("ids").at(k), vocab_size));
        } else {
            fail(at.str(), " must be {\"Sequence\": ...} or {\"SpecialToken\": ...}");
        }
    }
    return std::make_unique<Template>(std::move(items));
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const json& j, const JsonPath& where, int32_t vocab_size) {
    if (j.is_null()) return std::make_unique<Identity>();
    const std::string type = type_of(j, where);
    if (type == "TemplateProcessing") return make_template(j, where, vocab_size);
    if (type == "BertProcessing" || type == "RobertaProcessing") {
        const int32_t cls = pair_id(j, "cls", where, vocab_size), sep = pair_id(j, "sep", where, vocab_size);
        return std::make_unique<Template>(std::vector<int32_t>{cls, -1, sep});
    }
    if (type == "ByteLevel") return std::make_unique<Identity>();
    if (type == "Sequence") {
        const json& list = field(j, "processors", where);
        if (!list.is_array()) fail(where.at("processors").str(), " must be an array");
        std::vector<std::unique_ptr<PostProcessor>> steps;
        for (size_t i = 0; i < list.size(); ++i)
            steps.push_back(make_post_processor(list[i], where.at("processors").at(i), vocab_size));
        return std::make_unique<Sequence>(std::move(steps));
    }
    unknown_type(type, where, "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence");
}

}  // namespace cliprt::text::hf
