// The ByteLevel pre-tokenizer (GPT-2 / RoBERTa): an optional leading space, the GPT-2 split
// pattern, then every UTF-8 byte written as one character of GPT-2's byte-to-character map.
#include <array>

#include "text/hf_components.h"
#include "text/hf_regex.h"
#include "text/tokenizer_unicode.h"

namespace cliprt::text::hf {
namespace {

constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::array<char32_t, 256> byte_chars() {
    std::array<char32_t, 256> map{};
    auto printable = [](int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) map[static_cast<size_t>(b)] = printable(b) ? static_cast<char32_t>(b) : next++;
    return map;
}

class ByteLevel final : public PreTokenizer {
public:
    ByteLevel(bool add_prefix_space, bool use_regex)
        : add_prefix_space_(add_prefix_space),
          regex_(use_regex ? std::make_unique<Regex>(kGpt2Pattern, "ByteLevel") : nullptr),
          chars_(byte_chars()) {}

    void pre_tokenize(std::vector<Piece>& pieces) const override {
        std::vector<Piece> split;
        split.reserve(pieces.size());
        for (Piece& p : pieces) {
            if (add_prefix_space_ && (p.text.empty() || p.text[0] != U' ')) {
                p.text.insert(p.text.begin(), U' ');
                if (p.origin > 0) ++p.origin;
            }
            if (regex_) {
                split_piece(p, regex_->parts(p.text), SplitBehavior::Isolated, split);
            } else if (!p.text.empty()) {
                split.push_back(std::move(p));
            }
        }
        std::string bytes;
        for (Piece& p : split) {
            bytes.clear();
            size_t origin_bytes = 0;
            for (size_t i = 0; i < p.text.size(); ++i) {
                append_utf8(bytes, p.text[i]);
                if (i < p.origin) origin_bytes = bytes.size();
            }
            p.origin = origin_bytes;  // each byte character keeps its source character's alignment
            p.text.clear();
            for (char b : bytes) p.text.push_back(chars_[static_cast<unsigned char>(b)]);
        }
        pieces = std::move(split);
    }

private:
    bool add_prefix_space_;
    std::unique_ptr<Regex> regex_;
    std::array<char32_t, 256> chars_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_byte_level(const json& j, const JsonPath& where) {
    return std::make_unique<ByteLevel>(bool_field(j, "add_prefix_space", where, true),
                                       bool_field(j, "use_regex", where, true));
}

}  // namespace cliprt::text::hf
