// Reading JSON that comes from model files (configs, safetensors headers), which are untrusted input:
// nesting is bounded at parse time (nlohmann's parser is iterative, but dump, copies and comparisons
// recurse), values are converted with range and integrality checks instead of nlohmann's silent
// narrowing (4294967320 -> 24, 7.9 -> 7), and errors name the file, the key and a short form of the
// value, never nlohmann's own message or a dump of a huge value.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace cliprt::config_json {

using nlohmann::json;

// Deeper nesting than any real config or header has.
constexpr int kMaxDepth = 64;

// Parses `text`; invalid JSON or nesting deeper than kMaxDepth throws Error naming `source`.
json parse(const char* begin, const char* end, const std::string& source);
json parse(const std::string& text, const std::string& source);

// A value as error messages show it: numbers, booleans and null as JSON, strings quoted and cut at 40
// bytes (invalid UTF-8 shown as U+FFFD), "an object" / "an array of N values" for containers.
std::string describe(const json& value);
// A key as error messages show it: cut at 64 bytes, invalid UTF-8 shown as U+FFFD.
std::string describe_key(const std::string& key);

// `where` is the file and section ("path/config.json vision_config"); each throws Error naming it,
// the key and the value when the value has the wrong type or lies outside [min, max].
int64_t integer(const json& value, const std::string& where, const std::string& key, int64_t min, int64_t max);
int to_int(const json& value, const std::string& where, const std::string& key, int min, int max);
double number(const json& value, const std::string& where, const std::string& key, double min, double max);
bool boolean(const json& value, const std::string& where, const std::string& key);
std::string string(const json& value, const std::string& where, const std::string& key);

// The member `key` of `object`, nullptr when absent or null (object must be an object).
const json* member(const json& object, const std::string& key);

}  // namespace cliprt::config_json
