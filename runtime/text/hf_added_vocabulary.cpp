// Finding added tokens in text (AddedVocabulary::find_matches of the tokenizers library).
#include "text/hf_added_vocabulary.h"

#include <algorithm>

#include "text/hf_split.h"
#include "text/hf_unicode.h"

namespace cliprt::text::hf {

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
    for (size_t i = 0; i < tokens_.size(); ++i)
        if (!tokens_[i].content.empty()) by_first_[tokens_[i].content[0]].push_back(i);
    for (auto& [c, list] : by_first_) {
        std::stable_sort(list.begin(), list.end(),
                         [this](size_t a, size_t b) { return tokens_[a].content.size() > tokens_[b].content.size(); });
    }
}

void AddedTokenMatcher::split(const std::u32string& text, size_t origin, std::vector<Segment>& out) const {
    size_t start_offset = 0;
    auto emit_text = [&](size_t begin, size_t end) {
        if (begin < end)
            out.push_back({text.substr(begin, end - begin), -1, begin < origin, origin_of_part(origin, begin, end)});
    };
    size_t i = 0;
    while (i < text.size()) {
        auto bucket = by_first_.find(text[i]);
        const AddedToken* match = nullptr;
        if (bucket != by_first_.end()) {
            for (size_t k : bucket->second) {
                const std::u32string& c = tokens_[k].content;
                if (text.compare(i, c.size(), c) == 0) {
                    match = &tokens_[k];
                    break;
                }
            }
        }
        if (!match) {
            ++i;
            continue;
        }
        size_t start = i, stop = i + match->content.size();
        i = stop;  // matches do not overlap, even when this one is discarded
        if (match->single_word) {
            const bool space_before = start == 0 || !is_word_char(text[start - 1]);
            const bool space_after = stop == text.size() || !is_word_char(text[stop]);
            if (!space_before || !space_after) continue;
        }
        if (match->lstrip) {
            size_t s = start;
            while (s > 0 && is_whitespace(text[s - 1])) --s;
            start = std::max(s, start_offset);
        }
        if (match->rstrip) {
            while (stop < text.size() && is_whitespace(text[stop])) ++stop;
            i = stop;
        }
        emit_text(start_offset, start);
        out.push_back({text.substr(start, stop - start), match->id, false});
        start_offset = stop;
    }
    emit_text(start_offset, text.size());
}

}  // namespace cliprt::text::hf
