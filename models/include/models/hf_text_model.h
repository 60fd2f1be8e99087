// A Hugging Face text encoder directory as a model of its own: a transformers save_pretrained
// BertModel / RobertaModel / XLMRobertaModel (config.json + model.safetensors + tokenizer.json),
// optionally a sentence-transformers model (modules.json with Transformer, Pooling and Normalize
// modules, 1_Pooling/config.json, sentence_bert_config.json). Without sentence-transformers files
// the embedding is the mean of the last hidden state over the attention mask.
#pragma once

#include <string>

#include "models/model_config.h"

namespace cliprt {

// config.json names a bert, roberta or xlm-roberta model (and no open_clip_config.json is there).
bool is_hf_text_directory(const std::string& dir);
// The text-only ClipConfig of such a directory (has_vision false, embed_dim = hidden_size);
// Error naming the file for anything cliprt cannot run.
ClipConfig hf_text_directory_config(const std::string& dir);

}  // namespace cliprt
