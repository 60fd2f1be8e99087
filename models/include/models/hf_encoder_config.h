// The config.json of a Hugging Face BERT-style encoder (BertModel, RobertaModel, XLMRobertaModel):
// what cliprt's encoder builder needs, parsed with bounds so that a hostile or broken config gives
// one clear error instead of a huge allocation.
#pragma once

#include <string>

#include "cliprt/graph.h"

namespace cliprt {

struct HfEncoderConfig {
    std::string model_type;  // bert, roberta, xlm-roberta
    int vocab_size = 30522;
    int hidden_size = 768;
    int num_layers = 12;
    int num_heads = 12;
    int intermediate_size = 3072;
    int max_position_embeddings = 512;
    int type_vocab_size = 2;
    int pad_token_id = 0;
    double layer_norm_eps = 1e-12;
    Activation act = Activation::Gelu;

    // RoBERTa and XLM-R number positions from pad_token_id + 1 (transformers'
    // create_position_ids_from_input_ids); BERT from 0.
    int position_offset() const { return model_type == "bert" ? 0 : pad_token_id + 1; }
    // The longest token sequence the position table covers.
    int max_tokens() const { return max_position_embeddings - position_offset(); }
};

bool is_hf_encoder_model_type(const std::string& model_type);
// Parses a transformers config.json (or the same object inline); `source` names it in errors.
HfEncoderConfig parse_hf_encoder_config(const std::string& json_text, const std::string& source);

}  // namespace cliprt
