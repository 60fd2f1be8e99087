// The BPE vocabulary compiled into the library.
#pragma once

#include <string>

namespace cliprt::text {

// The first `lines` lines of bpe_simple_vocab_16e6.txt (a header line, then one merge
// "left right" per line); the file holds many more merges than open_clip uses.
std::string builtin_bpe_text(size_t lines);

}  // namespace cliprt::text
