// Data tables for the tokenizer's text cleaning, generated from Python and ftfy by
// tools/make_text_clean_tables.py into tokenizer_tables.cpp.
#pragma once

#include <cstddef>

namespace cliprt::text {

struct EntityEntry {
    const char* name;   // without the leading '&'; sorted by strcmp
    const char* value;  // UTF-8
};

struct CharrefFix {
    char32_t codepoint;
    const char* value;  // UTF-8, may be empty
};

struct CodepointRange {
    char32_t first;
    char32_t last;  // inclusive; ranges sorted and disjoint
};

extern const EntityEntry kHtml5Entities[];
extern const size_t kHtml5Entities_count;
extern const EntityEntry kFtfyUpperEntities[];
extern const size_t kFtfyUpperEntities_count;
extern const CharrefFix kInvalidCharrefs[];
extern const size_t kInvalidCharrefs_count;
extern const CodepointRange kInvalidCodepoints[];
extern const size_t kInvalidCodepoints_count;
extern const char32_t kC1ToWindows1252[32];
extern const CodepointRange kPythonSpaces[];
extern const size_t kPythonSpaces_count;
extern const CodepointRange kCaseIgnorable[];
extern const size_t kCaseIgnorable_count;
extern const CodepointRange kCased[];
extern const size_t kCased_count;

}  // namespace cliprt::text
