// The regexes of tokenizer.json (Split and Replace patterns, the ByteLevel pattern), compiled with
// PCRE2 in UTF + Unicode-property mode: the library uses Oniguruma, whose syntax these patterns
// share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "text/hf_split.h"

namespace cliprt::text::hf {

class Regex {
public:
    // Throws Error naming `where` when PCRE2 rejects the pattern.
    Regex(const std::string& pattern_utf8, const std::string& where);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    // Non-overlapping matches left to right, as [begin, end) in characters.
    std::vector<std::pair<size_t, size_t>> find_all(const std::u32string& text) const;
    // find_all as the parts of Pattern::find_matches (matches and the gaps between them).
    std::vector<SplitPart> parts(const std::u32string& text) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A literal pattern (the String form of Split / Replace): its non-overlapping occurrences.
std::vector<SplitPart> literal_parts(const std::u32string& text, const std::u32string& literal);

}  // namespace cliprt::text::hf
