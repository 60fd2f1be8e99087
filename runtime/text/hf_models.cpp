// The model of tokenizer.json by its type.
#include "text/hf_components.h"

namespace cliprt::text::hf {

std::unique_ptr<Model> make_model(const json& j, const JsonPath& where) {
    const std::string type = type_of(j, where);
    if (type == "WordPiece") return make_wordpiece(j, where);
    if (type == "BPE") return make_bpe(j, where);
    if (type == "Unigram") return make_unigram(j, where);
    unknown_type(type, where, "WordPiece, BPE, Unigram");
}

}  // namespace cliprt::text::hf
