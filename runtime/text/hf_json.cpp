// Field readers for tokenizer.json: every error names the file and the field path.
#include "cliprt/error.h"
#include "text/hf_components.h"

namespace cliprt::text::hf {

const json& field(const json& j, const std::string& key, const JsonPath& where) {
    if (!j.is_object()) fail(where.str(), " must be an object");
    auto it = j.find(key);
    if (it == j.end()) fail(where.at(key).str(), " is missing");
    return *it;
}

std::string string_field(const json& j, const std::string& key, const JsonPath& where) {
    const json& v = field(j, key, where);
    if (!v.is_string()) fail(where.at(key).str(), " must be a string");
    return v.get<std::string>();
}

bool bool_field(const json& j, const std::string& key, const JsonPath& where, std::optional<bool> fallback) {
    if (fallback && (!j.contains(key) || j[key].is_null())) return *fallback;
    const json& v = field(j, key, where);
    if (!v.is_boolean()) fail(where.at(key).str(), " must be true or false");
    return v.get<bool>();
}

std::string type_of(const json& j, const JsonPath& where) { return string_field(j, "type", where); }

void unknown_type(const std::string& type, const JsonPath& where, const char* supported) {
    fail(where.at("type").str(), ": unsupported type '", type, "' (cliprt has ", supported, ")");
}

}  // namespace cliprt::text::hf
