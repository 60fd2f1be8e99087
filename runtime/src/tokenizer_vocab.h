// The BPE vocabulary compiled into the library.
#pragma once

#include <string>

namespace cliprt::text {

// The text of bpe_simple_vocab_16e6.txt: a header line, then one merge "left right" per line.
std::string builtin_bpe_text();

}  // namespace cliprt::text
