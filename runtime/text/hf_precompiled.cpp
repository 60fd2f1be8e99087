// The Precompiled normalizer: SentencePiece's compiled normalization rules (the
// precompiled_charsmap of T5 / XLM-R / SigLIP conversions), a Darts double-array trie over UTF-8
// keys whose values point into a blob of NUL-terminated replacements. Applied as the library
// (spm_precompiled) does: each grapheme shorter than 6 bytes is looked up whole, otherwise each of
// its characters; a lookup takes the first (shortest) key that prefixes the chunk.
#include <algorithm>
#include <cstring>

#include "cliprt/error.h"
#include "text/hf_components.h"
#include "text/hf_unicode.h"
#include "text/tokenizer_unicode.h"

namespace cliprt::text::hf {
namespace {

std::string decode_base64(const std::string& text, const JsonPath& where) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    uint32_t bits = 0;
    int count = 0;
    for (char c : text) {
        if (c == '=') break;
        const int v = value(c);
        if (v < 0) fail(where.str(), " is not base64");
        bits = (bits << 6) | static_cast<uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out.push_back(static_cast<char>((bits >> count) & 0xFF));
        }
    }
    return out;
}

class Precompiled final : public Normalizer {
public:
    Precompiled(const std::string& blob, const JsonPath& where) {
        if (blob.size() < 4) fail(where.str(), " is too short for a charsmap");
        uint32_t trie_bytes = 0;
        std::memcpy(&trie_bytes, blob.data(), 4);  // little-endian, as x86 and ARM hosts are
        if (trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4) fail(where.str(), " has a bad trie size");
        trie_.resize(trie_bytes / 4);
        std::memcpy(trie_.data(), blob.data() + 4, trie_bytes);
        normalized_ = blob.substr(4 + trie_bytes);
        if (trie_.empty()) fail(where.str(), " has an empty trie");
    }

    void normalize(std::u32string& text, size_t& origin) const override {
        std::u32string out;
        out.reserve(text.size());
        size_t o = 0;
        std::string chunk;
        // A replacement of [begin, end): its j-th character takes the alignment of source begin + j
        // (the last source for the extra ones), as the library's transformations do.
        auto replace = [&](size_t begin, size_t end, const char* replacement) {
            const std::u32string r = decode_utf8(replacement);
            for (size_t j = 0; j < r.size(); ++j)
                if (begin + std::min(j, end - begin - 1) < origin) ++o;
            out += r;
        };
        for_each_grapheme(text, [&](size_t begin, size_t end) {
            chunk.clear();
            for (size_t i = begin; i < end; ++i) append_utf8(chunk, text[i]);
            if (chunk.size() < 6) {
                if (const char* replacement = transform(chunk)) {
                    replace(begin, end, replacement);
                    return;
                }
            }
            std::string one;
            for (size_t i = begin; i < end; ++i) {
                one.clear();
                append_utf8(one, text[i]);
                if (const char* replacement = transform(one)) {
                    replace(i, i + 1, replacement);
                } else {
                    out.push_back(text[i]);
                    if (i < origin) ++o;
                }
            }
        });
        text = std::move(out);
        origin = o;
    }

private:
    // Darts-clone common prefix search; returns the replacement of the first match or null.
    const char* transform(const std::string& key) const {
        auto offset = [](uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); };
        auto label = [](uint32_t unit) { return unit & ((1u << 31) | 0xFFu); };
        auto has_leaf = [](uint32_t unit) { return ((unit >> 8) & 1u) == 1u; };
        size_t node = offset(trie_[0]);
        for (char ch : key) {
            const auto c = static_cast<unsigned char>(ch);
            if (c == 0) break;
            node ^= c;
            if (node >= trie_.size()) return nullptr;
            const uint32_t unit = trie_[node];
            if (label(unit) != c) return nullptr;
            node ^= offset(unit);
            if (node >= trie_.size()) return nullptr;
            if (has_leaf(unit)) {
                const size_t at = trie_[node] & ((1u << 31) - 1);
                if (at >= normalized_.size()) return nullptr;
                return normalized_.c_str() + at;
            }
        }
        return nullptr;
    }

    std::vector<uint32_t> trie_;
    std::string normalized_;
};

class IdentityNormalizer final : public Normalizer {
public:
    void normalize(std::u32string&, size_t&) const override {}
};

}  // namespace

std::unique_ptr<Normalizer> make_precompiled(const json& j, const JsonPath& where) {
    const json& map = field(j, "precompiled_charsmap", where);
    if (map.is_null()) return std::make_unique<IdentityNormalizer>();
    if (!map.is_string()) fail(where.at("precompiled_charsmap").str(), " must be a base64 string");
    const std::string blob = decode_base64(map.get<std::string>(), where.at("precompiled_charsmap"));
    if (blob.empty()) return std::make_unique<IdentityNormalizer>();
    return std::make_unique<Precompiled>(blob, where.at("precompiled_charsmap"));
}

}  // namespace cliprt::text::hf
