// Field readers for tokenizer.json: every error names the file and the field path.
#include "cliprt/error.h"
#include "text/hf_components.h"

namespace cliprt::text::hf {

json parse_json(const std::string& text, const std::string& source) {
    constexpr int kMaxDepth = 64;  // tokenizer.json nests about 6 deep
    const json::parser_callback_t limit_depth = [&](int depth, json::parse_event_t event, json&) {
        if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
            depth >= kMaxDepth)
            fail(source, ": JSON nested deeper than ", kMaxDepth, " levels");
        return true;
    };
    try {
        return json::parse(text, limit_depth);
    } catch (const json::parse_error& e) {
        fail(source, ": invalid JSON at byte ", e.byte);
    } catch (const json::exception& e) {
        fail(source, ": invalid JSON (", std::string(e.what()).substr(0, 160), ")");
    }
}

std::string quoted(const std::string& text) {
    size_t cut = text.size();
    if (cut > 40) {
        cut = 40;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole characters
    }
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, bug 105329) about "'" + string.
    std::string out;
    out.reserve(cut + 5);
    out.push_back('\'');
    out.append(text, 0, cut);
    if (cut < text.size()) out.append("...");
    out.push_back('\'');
    return out;
}

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
