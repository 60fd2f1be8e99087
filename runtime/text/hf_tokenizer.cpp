// Loading tokenizer.json and running its pipeline (Tokenizer::encode of the tokenizers library):
// added tokens out of the raw text, normalize the rest, added tokens out of the normalized text,
// pre-tokenize, the model on each piece, truncation, post-processor, padding.
#include "cliprt/hf_tokenizer.h"

#include <fstream>
#include <sstream>

#include "cliprt/error.h"
#include "text/hf_added_vocabulary.h"
#include "text/hf_components.h"
#include "text/tokenizer_unicode.h"

namespace cliprt {

using text::hf::json;
using text::hf::JsonPath;

struct HfTokenizer::Impl {
    std::unique_ptr<text::hf::Normalizer> normalizer;
    std::unique_ptr<text::hf::PreTokenizer> pre_tokenizer;
    std::unique_ptr<text::hf::Model> model;
    std::unique_ptr<text::hf::PostProcessor> post_processor;
    std::unique_ptr<text::hf::AddedTokenMatcher> raw_tokens;         // normalized = false
    std::unique_ptr<text::hf::AddedTokenMatcher> normalized_tokens;  // normalized = true
    std::unordered_map<std::string, int32_t> added_ids;
    int32_t vocab_size = 0;

    void encode(const std::string& utf8, std::vector<int32_t>& ids) const;
};

namespace {

std::vector<text::hf::AddedToken> read_added_tokens(const json& list, const JsonPath& where,
                                                    const text::hf::Model& model,
                                                    const text::hf::Normalizer* normalizer,
                                                    std::unordered_map<std::string, int32_t>& ids, int32_t& next_id) {
    std::vector<text::hf::AddedToken> tokens;
    if (list.is_null()) return tokens;
    if (!list.is_array()) fail(where.str(), " must be an array");
    for (size_t i = 0; i < list.size(); ++i) {
        const JsonPath at = where.at(i);
        const json& t = list[i];
        const std::string content = text::hf::string_field(t, "content", at);
        if (content.empty()) continue;  // the library ignores empty tokens
        text::hf::AddedToken a;
        a.single_word = text::hf::bool_field(t, "single_word", at, false);
        a.lstrip = text::hf::bool_field(t, "lstrip", at, false);
        a.rstrip = text::hf::bool_field(t, "rstrip", at, false);
        a.special = text::hf::bool_field(t, "special", at, false);
        a.normalized = text::hf::bool_field(t, "normalized", at, !a.special);
        if (t.contains("id") && !(t["id"].is_number_integer() && t["id"].get<int64_t>() >= 0 &&
                                  t["id"].get<int64_t>() < (int64_t{1} << 31)))
            fail(at.at("id").str(), " must be a non-negative 32-bit id");
        // Ids as the library gives them: the model's id of the content, else the next free one.
        if (auto existing = ids.find(content); existing != ids.end()) {
            a.id = existing->second;
        } else if (auto model_id = model.token_to_id(content)) {
            a.id = *model_id;
        } else {
            a.id = next_id++;
        }
        ids[content] = a.id;
        a.content = text::decode_utf8(content);
        if (a.normalized && normalizer) normalizer->normalize(a.content);
        tokens.push_back(std::move(a));
    }
    return tokens;
}

}  // namespace

void HfTokenizer::Impl::encode(const std::string& utf8, std::vector<int32_t>& ids) const {
    using text::hf::Segment;
    const std::u32string input = text::decode_utf8(utf8);
    std::vector<Segment> raw;
    // Only the first character is aligned to offset 0 of the input.
    const size_t origin = input.empty() ? 0 : 1;
    if (raw_tokens) {
        raw_tokens->split(input, origin, raw);
    } else if (!input.empty()) {
        raw.push_back({input, -1, true, origin});
    }
    std::vector<Segment> segments;
    for (Segment& s : raw) {
        if (s.id >= 0) {
            segments.push_back(std::move(s));
            continue;
        }
        if (normalizer) normalizer->normalize(s.text, s.origin);
        // The library slices the normalized text again (even without normalized added tokens), which
        // re-reads where it starts in the input through the normalizer's alignments.
        if (normalized_tokens) {
            normalized_tokens->split(s.text, s.origin, segments);
        } else if (!s.text.empty()) {
            s.at_origin = s.origin > 0;
            segments.push_back(std::move(s));
        }
    }
    std::vector<text::hf::Piece> pieces;
    std::string word;
    for (Segment& s : segments) {
        if (s.id >= 0) {
            ids.push_back(s.id);
            continue;
        }
        pieces.clear();
        pieces.push_back({std::move(s.text), s.at_origin, s.origin});
        if (pre_tokenizer) pre_tokenizer->pre_tokenize(pieces);
        for (const text::hf::Piece& p : pieces) {
            word = text::encode_utf8(p.text);
            model->tokenize(word, ids);
        }
    }
}

HfTokenizer::HfTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HfTokenizer::~HfTokenizer() = default;

std::shared_ptr<const HfTokenizer> HfTokenizer::from_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read tokenizer file ", path);
    std::ostringstream text;
    text << in.rdbuf();
    return from_json(text.str(), path);
}

std::shared_ptr<const HfTokenizer> HfTokenizer::from_json(const std::string& json_text, const std::string& source) {
    // Untrusted input: nesting bounded at parse time, errors naming the file.
    const json root = text::hf::parse_json(json_text, source);
    if (!root.is_object()) fail(source, ": not a tokenizer.json object");
    const JsonPath top{source, ""};
    auto impl = std::make_unique<Impl>();
    impl->model = text::hf::make_model(text::hf::field(root, "model", top), top.at("model"));
    if (root.contains("normalizer"))
        impl->normalizer = text::hf::make_normalizer(root["normalizer"], top.at("normalizer"));
    if (root.contains("pre_tokenizer"))
        impl->pre_tokenizer = text::hf::make_pre_tokenizer(root["pre_tokenizer"], top.at("pre_tokenizer"));

    int32_t next_id = impl->model->vocab_size();
    std::vector<text::hf::AddedToken> added;
    if (root.contains("added_tokens"))
        added = read_added_tokens(root["added_tokens"], top.at("added_tokens"), *impl->model, impl->normalizer.get(),
                                  impl->added_ids, next_id);
    impl->vocab_size = next_id;
    std::vector<text::hf::AddedToken> raw, normalized;
    for (auto& a : added) (a.normalized ? normalized : raw).push_back(std::move(a));
    if (!raw.empty()) impl->raw_tokens = std::make_unique<text::hf::AddedTokenMatcher>(std::move(raw));
    if (!normalized.empty())
        impl->normalized_tokens = std::make_unique<text::hf::AddedTokenMatcher>(std::move(normalized));

    const json null_json;
    impl->post_processor =
        text::hf::make_post_processor(root.contains("post_processor") ? root["post_processor"] : null_json,
                                      top.at("post_processor"), impl->vocab_size);
    return std::shared_ptr<const HfTokenizer>(new HfTokenizer(std::move(impl)));
}

std::vector<int32_t> HfTokenizer::encode(const std::string& text, bool add_special_tokens) const {
    std::vector<int32_t> ids;
    impl_->encode(text, ids);
    if (add_special_tokens) impl_->post_processor->process(ids);
    return ids;
}

HfTokenizer::Encoding HfTokenizer::encode(const std::string& text, int max_length, bool pad, int32_t pad_id) const {
    const auto specials = static_cast<int>(impl_->post_processor->added_tokens());
    if (max_length < specials)
        fail("max_length ", max_length, " leaves no room for the tokenizer's ", specials, " special tokens");
    Encoding e;
    impl_->encode(text, e.ids);
    if (e.ids.size() > static_cast<size_t>(max_length - specials))
        e.ids.resize(static_cast<size_t>(max_length - specials));
    impl_->post_processor->process(e.ids);
    e.attention_mask.assign(e.ids.size(), 1);
    if (pad && e.ids.size() < static_cast<size_t>(max_length)) {
        e.ids.resize(static_cast<size_t>(max_length), pad_id);
        e.attention_mask.resize(static_cast<size_t>(max_length), 0);
    }
    return e;
}

std::optional<int32_t> HfTokenizer::token_to_id(const std::string& token) const {
    if (auto it = impl_->added_ids.find(token); it != impl_->added_ids.end()) return it->second;
    return impl_->model->token_to_id(token);
}

int32_t HfTokenizer::vocab_size() const { return impl_->vocab_size; }
int HfTokenizer::num_special_tokens() const { return static_cast<int>(impl_->post_processor->added_tokens()); }

}  // namespace cliprt
