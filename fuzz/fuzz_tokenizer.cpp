// libFuzzer: the CLIP BPE tokenizer on arbitrary bytes (cleaning, ftfy fixes, html unescaping, the
// split pattern, BPE); invalid UTF-8 is an Error, anything else gives ids in the vocabulary.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cliprt/error.h"
#include "cliprt/tokenizer.h"

// The vocabulary is inflated once here, so that it does not count as the first input's time.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    cliprt::ClipTokenizer::builtin();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const cliprt::ClipTokenizer& tokenizer = cliprt::ClipTokenizer::builtin();
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        for (const int32_t id : tokenizer.tokens(text, 77)) {
            if (id < 0 || id >= tokenizer.vocab_size()) std::abort();
        }
    } catch (const cliprt::Error&) {
    }
    return 0;
}
