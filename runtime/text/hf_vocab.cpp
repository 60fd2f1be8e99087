// Reading and checking the vocabularies of tokenizer.json models.
#include "text/hf_vocab.h"

#include "cliprt/error.h"

namespace cliprt::text::hf {

Vocab read_vocab_object(const json& j, const JsonPath& where) {
    if (!j.is_object()) fail(where.str(), " must be an object of token: id");
    if (j.empty()) fail(where.str(), " is empty");
    Vocab v;
    v.tokens.resize(j.size());
    std::vector<bool> seen(j.size(), false);
    for (auto it = j.begin(); it != j.end(); ++it) {
        const JsonPath at = where.at(it.key().size() <= 64 ? it.key() : quoted(it.key()));
        if (!it.value().is_number_integer()) fail(at.str(), " must be an integer id");
        const int64_t id = it.value().get<int64_t>();
        if (id < 0 || id >= static_cast<int64_t>(j.size()))
            fail(at.str(), ": id ", id, " is out of range (the vocabulary has ", j.size(), " entries, ids 0..",
                 j.size() - 1, ")");
        if (seen[static_cast<size_t>(id)])
            fail(at.str(), ": id ", id, " is given to two tokens (", quoted(v.tokens[static_cast<size_t>(id)]), " and ",
                 quoted(it.key()), ")");
        seen[static_cast<size_t>(id)] = true;
        v.tokens[static_cast<size_t>(id)] = it.key();
        v.ids.emplace(it.key(), static_cast<int32_t>(id));
    }
    return v;
}

std::string optional_string(const json& j, const std::string& key, const JsonPath& where) {
    if (!j.contains(key) || j[key].is_null()) return {};
    return string_field(j, key, where);
}

std::string byte_token(unsigned char b) {
    const char* digits = "0123456789ABCDEF";
    return std::string("<0x") + digits[b >> 4] + digits[b & 15] + ">";
}

}  // namespace cliprt::text::hf
