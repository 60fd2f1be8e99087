#include "models/hf_encoder_config.h"

#include "cliprt/config_json.h"
#include "cliprt/error.h"
#include "models/config_bounds.h"

namespace cliprt {

namespace cj = config_json;
using nlohmann::json;

namespace {

using namespace config_bounds;

}  // namespace

bool is_hf_encoder_model_type(const std::string& model_type) {
    return model_type == "bert" || model_type == "roberta" || model_type == "xlm-roberta";
}

HfEncoderConfig parse_hf_encoder_config(const std::string& json_text, const std::string& source) {
    const json j = cj::parse(json_text, source);
    if (!j.is_object()) fail(source, ": must be a JSON object");
    HfEncoderConfig c;
    const json* type = cj::member(j, "model_type");
    if (type == nullptr) fail(source, ": missing 'model_type'");
    c.model_type = cj::string(*type, source, "model_type");
    if (!is_hf_encoder_model_type(c.model_type))
        fail(source, ": model_type ", cj::describe(*type),
             " is not a supported text encoder (bert, roberta, xlm-roberta; mT5 and NLLB are not supported yet)");
    auto read_int = [&](const char* key, int& out, int min, int max) {
        if (const json* v = cj::member(j, key)) out = cj::to_int(*v, source, key, min, max);
    };
    if (c.model_type != "bert") {  // transformers' RobertaConfig defaults
        c.pad_token_id = 1;
        c.max_position_embeddings = 514;
        c.type_vocab_size = 1;
        c.vocab_size = 50265;
        c.layer_norm_eps = 1e-12;
    }
    read_int("vocab_size", c.vocab_size, 1, kMaxVocab);
    read_int("hidden_size", c.hidden_size, 1, kMaxWidth);
    read_int("num_hidden_layers", c.num_layers, 1, kMaxLayers);
    read_int("num_attention_heads", c.num_heads, 1, kMaxWidth);
    read_int("intermediate_size", c.intermediate_size, 1, 16 * kMaxWidth);
    read_int("max_position_embeddings", c.max_position_embeddings, 1, kMaxPositions);
    read_int("type_vocab_size", c.type_vocab_size, 1, kMaxVocab);
    read_int("pad_token_id", c.pad_token_id, 0, kMaxVocab);
    if (const json* v = cj::member(j, "layer_norm_eps"))
        c.layer_norm_eps = cj::number(*v, source, "layer_norm_eps", 1e-30, 1.0);
    std::string act = "gelu";
    if (const json* v = cj::member(j, "hidden_act")) act = cj::string(*v, source, "hidden_act");
    if (act == "gelu") {
        c.act = Activation::Gelu;
    } else if (act == "gelu_new" || act == "gelu_pytorch_tanh") {
        c.act = Activation::GeluTanh;
    } else if (act == "relu") {
        c.act = Activation::Relu;
    } else {
        fail(source, ": hidden_act ", cj::describe(act), " is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)");
    }
    if (const json* v = cj::member(j, "position_embedding_type")) {
        if (cj::string(*v, source, "position_embedding_type") != "absolute")
            fail(source, ": position_embedding_type ", cj::describe(*v), " is not supported (absolute)");
    }
    if (const json* v = cj::member(j, "is_decoder"); v != nullptr && cj::boolean(*v, source, "is_decoder"))
        fail(source, ": is_decoder true (a causal decoder) is not supported: cliprt runs encoders");
    if (c.hidden_size % c.num_heads != 0)
        fail(source, ": hidden_size ", c.hidden_size, " is not a multiple of num_attention_heads ", c.num_heads);
    if (c.pad_token_id >= c.vocab_size)
        fail(source, ": pad_token_id ", c.pad_token_id, " is outside the vocabulary of ", c.vocab_size);
    if (c.max_tokens() < 1)
        fail(source, ": max_position_embeddings ", c.max_position_embeddings, " leaves no position after the offset ",
             c.position_offset());
    return c;
}

}  // namespace cliprt
