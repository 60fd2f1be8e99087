// Zero-shot classification as open_clip's build_zero_shot_classifier does it: every template
// formatted with every label, each text embedding L2-normalized, averaged per label and
// renormalized; logits = exp(logit_scale) * normalized image features . classifier (+ logit_bias),
// then a softmax over the labels.
#pragma once

#include <string>
#include <vector>

#include "cliprt/tensor.h"
#include "models/clip_embedder.h"

namespace cliprt {

enum class TemplateSet { OpenAi, Simple, None };

// "openai" (OPENAI_IMAGENET_TEMPLATES, 80), "simple" (SIMPLE_IMAGENET_TEMPLATES, 7) or "none"
// (the label alone); anything else is an Error.
TemplateSet parse_template_set(const std::string& name);
// The templates of open_clip/zero_shot_metadata.py, each with one "{}" where the label goes.
const std::vector<std::string>& zero_shot_templates(TemplateSet set);
// Replaces the first "{}" of the template with the label.
std::string format_template(const std::string& templ, const std::string& label);

// "a,b,c" -> labels, each trimmed of surrounding ASCII whitespace. An empty list or an empty
// label is an Error.
std::vector<std::string> split_labels(const std::string& comma_list);

// f32 [labels, dim], unit rows: the per-label mean of the normalized template embeddings, renormalized.
Tensor zero_shot_classifier(ClipEmbedder& embedder, const std::vector<std::string>& labels, TemplateSet set);

// image_features f32 [N, dim] (normalized here), classifier [C, dim] -> logits f32 [N, C].
Tensor zero_shot_logits(const Tensor& image_features, const Tensor& classifier, float logit_scale,
                        float logit_bias = 0.0f);
// Row-wise softmax of f32 [N, C].
Tensor softmax_rows(const Tensor& logits);

}  // namespace cliprt
