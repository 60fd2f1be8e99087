// The web page's search box speaks the CLI's query language on one line: phrases separated by a
// "+" or "-" that starts a word; "-" makes the phrase a --not term, and each phrase may carry the
// CLI's weight prefix. "a beach +2:sunset -people" is `cliprt search "a beach" 2:sunset --not people`.
#pragma once

#include <string>
#include <vector>

#include "search/query.h"

namespace cliprt::server {

struct BoxQuery {
    std::vector<std::string> texts;      // positional queries of the CLI
    std::vector<std::string> negatives;  // --not arguments
};

// Splits the box text; empty phrases (e.g. a stray "+") are dropped. Never throws.
BoxQuery split_box_query(const std::string& box);

// split_box_query + search::build_query: throws Error when nothing is left to search for.
std::vector<search::QueryTerm> parse_box_query(const std::string& box);

}  // namespace cliprt::server
