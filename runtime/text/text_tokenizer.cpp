// The shared padding of TextTokenizer and the CLIP BPE adapter.
#include "cliprt/text_tokenizer.h"

#include <algorithm>

namespace cliprt {

Tensor TextTokenizer::tokenize(const std::vector<std::string>& texts, int context_length) const {
    // Tokenize everything first: an invalid text throws before any work on the others is kept.
    std::vector<std::vector<int32_t>> rows;
    rows.reserve(texts.size());
    for (const std::string& t : texts) rows.push_back(tokens(t, context_length));
    Tensor out(Shape{static_cast<int64_t>(texts.size()), context_length}, DType::I32);
    int32_t* ids = out.i32();
    std::fill(ids, ids + out.numel(), pad_id());
    for (size_t r = 0; r < rows.size(); ++r)
        std::copy(rows[r].begin(), rows[r].end(), ids + r * static_cast<size_t>(context_length));
    return out;
}

namespace {

class ClipTextTokenizer final : public TextTokenizer {
public:
    explicit ClipTextTokenizer(std::shared_ptr<const ClipTokenizer> t) : t_(std::move(t)) {}
    std::vector<int32_t> tokens(const std::string& text, int context_length) const override {
        return t_->tokens(text, context_length);
    }
    Tensor tokenize(const std::vector<std::string>& texts, int context_length) const override {
        return t_->tokenize(texts, context_length);
    }
    int32_t pad_id() const override { return 0; }
    int32_t vocab_size() const override { return t_->vocab_size(); }

private:
    std::shared_ptr<const ClipTokenizer> t_;
};

}  // namespace

std::shared_ptr<const TextTokenizer> clip_text_tokenizer(std::shared_ptr<const ClipTokenizer> tokenizer) {
    return std::make_shared<const ClipTextTokenizer>(std::move(tokenizer));
}

std::shared_ptr<const TextTokenizer> builtin_clip_text_tokenizer() {
    // The built-in tokenizer lives for the whole program: share it without owning it.
    static const auto shared = clip_text_tokenizer(
        std::shared_ptr<const ClipTokenizer>(&ClipTokenizer::builtin(), [](const ClipTokenizer*) {}));
    return shared;
}

}  // namespace cliprt
