// models/bpe_simple_vocab_16e6.txt.gz embedded with the assembler's .incbin (the path comes from
// runtime/CMakeLists.txt) and inflated with zlib, so nothing is read from disk at run time.
#include "text/tokenizer_vocab.h"

#include <zlib.h>

#include <algorithm>

#include "cliprt/error.h"

#ifndef CLIPRT_BPE_VOCAB_PATH
#error "CLIPRT_BPE_VOCAB_PATH must name bpe_simple_vocab_16e6.txt.gz (set in runtime/CMakeLists.txt)"
#endif

__asm__(
    ".pushsection .rodata\n"
    ".balign 16\n"
    "cliprt_bpe_vocab_gz_begin:\n"
    ".incbin \"" CLIPRT_BPE_VOCAB_PATH
    "\"\n"
    "cliprt_bpe_vocab_gz_end:\n"
    ".popsection\n");

extern "C" const unsigned char cliprt_bpe_vocab_gz_begin[];
extern "C" const unsigned char cliprt_bpe_vocab_gz_end[];

namespace cliprt::text {

std::string builtin_bpe_text(size_t lines) {
    z_stream stream{};
    // 16 + MAX_WBITS: expect a gzip header.
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) fail("zlib inflateInit2 failed");
    stream.next_in = const_cast<Bytef*>(cliprt_bpe_vocab_gz_begin);
    stream.avail_in = static_cast<uInt>(cliprt_bpe_vocab_gz_end - cliprt_bpe_vocab_gz_begin);
    std::string out;
    char chunk[1 << 16];
    int status = Z_OK;
    size_t seen = 0;
    while (status == Z_OK && seen < lines) {
        stream.next_out = reinterpret_cast<Bytef*>(chunk);
        stream.avail_out = sizeof(chunk);
        status = inflate(&stream, Z_NO_FLUSH);
        size_t produced = sizeof(chunk) - stream.avail_out;
        seen += static_cast<size_t>(std::count(chunk, chunk + produced, '\n'));
        out.append(chunk, produced);
    }
    inflateEnd(&stream);
    if (status != Z_OK && status != Z_STREAM_END) {
        fail("the built-in BPE vocabulary does not inflate (zlib status ", status, ")");
    }
    return out;
}

}  // namespace cliprt::text
