#include "cliprt/config_json.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "cliprt/error.h"

namespace cliprt::config_json {

namespace {

// Cuts at `limit` bytes, on a character boundary when the text is UTF-8.
std::string cut(const std::string& text, size_t limit) {
    if (text.size() <= limit) return text;
    size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end) + "...";
}

std::string quoted(const std::string& text, size_t limit) {
    // dump() escapes control characters; replace keeps invalid UTF-8 from throwing.
    return json(cut(text, limit)).dump(-1, ' ', false, json::error_handler_t::replace);
}

[[noreturn]] void wrong(const json& value, const std::string& where, const std::string& key, const std::string& want) {
    fail(where, ": '", describe_key(key), "' must be ", want, ", not ", describe(value));
}

std::string range_text(double min, double max) {
    std::ostringstream s;
    s.precision(10);
    s << min << " to " << max;
    return s.str();
}

}  // namespace

json parse(const char* begin, const char* end, const std::string& source) {
    const json::parser_callback_t limit_depth = [&](int depth, json::parse_event_t event, json&) {
        if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
            depth >= kMaxDepth) {
            fail(source, ": JSON nested deeper than ", kMaxDepth, " levels");
        }
        return true;
    };
    try {
        return json::parse(begin, end, limit_depth);
    } catch (const json::parse_error& e) {
        // nlohmann's message quotes the text it read last, which may be long: keep its start.
        fail(source, ": invalid JSON at byte ", e.byte, ": ", cut(e.what(), 160));
    } catch (const json::exception& e) {
        fail(source, ": invalid JSON: ", cut(e.what(), 160));
    }
}

json parse(const std::string& text, const std::string& source) {
    return parse(text.data(), text.data() + text.size(), source);
}

std::string describe(const json& value) {
    switch (value.type()) {
        case json::value_t::object:
            return "an object";
        case json::value_t::array:
            return "an array of " + std::to_string(value.size()) + " values";
        case json::value_t::string:
            return quoted(value.get_ref<const std::string&>(), 40);
        default:
            return value.dump();  // a scalar: short
    }
}

std::string describe_key(const std::string& key) {
    const std::string shown = quoted(key, 64);
    return shown.substr(1, shown.size() - 2);
}

int64_t integer(const json& value, const std::string& where, const std::string& key, int64_t min, int64_t max) {
    const std::string want = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    int64_t v = 0;
    if (value.is_number_unsigned()) {
        const uint64_t u = value.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) wrong(value, where, key, want);
        v = static_cast<int64_t>(u);
    } else if (value.is_number_integer()) {
        v = value.get<int64_t>();
    } else if (value.is_number_float()) {
        // 16.0 is 16; 7.9 and 1e300 are not integers cliprt can use.
        const double d = value.get<double>();
        if (!std::isfinite(d) || d != std::floor(d) || std::abs(d) > 9.0e15) wrong(value, where, key, want);
        v = static_cast<int64_t>(d);
    } else {
        wrong(value, where, key, want);
    }
    if (v < min || v > max) wrong(value, where, key, want);
    return v;
}

int to_int(const json& value, const std::string& where, const std::string& key, int min, int max) {
    return static_cast<int>(integer(value, where, key, min, max));
}

double number(const json& value, const std::string& where, const std::string& key, double min, double max) {
    if (!value.is_number()) wrong(value, where, key, "a number from " + range_text(min, max));
    const double v = value.get<double>();
    if (!std::isfinite(v) || v < min || v > max) wrong(value, where, key, "a number from " + range_text(min, max));
    return v;
}

bool boolean(const json& value, const std::string& where, const std::string& key) {
    if (!value.is_boolean()) wrong(value, where, key, "true or false");
    return value.get<bool>();
}

std::string string(const json& value, const std::string& where, const std::string& key) {
    if (!value.is_string()) wrong(value, where, key, "a string");
    return value.get<std::string>();
}

const json* member(const json& object, const std::string& key) {
    const auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace cliprt::config_json
