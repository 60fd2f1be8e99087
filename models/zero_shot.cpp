#include "models/zero_shot.h"

#include <algorithm>
#include <cmath>

#include "cliprt/error.h"

namespace cliprt {

namespace {

// Copied from open_clip_torch 3.3.0, open_clip/zero_shot_metadata.py (lambda c: f'...{c}...' -> "...{}...");
// tests/zero_shot_test.cpp checks them against the list tools/make_zero_shot_goldens.py wrote from open_clip.
const std::vector<std::string> kOpenAiTemplates = {
    "a bad photo of a {}.",
    "a photo of many {}.",
    "a sculpture of a {}.",
    "a photo of the hard to see {}.",
    "a low resolution photo of the {}.",
    "a rendering of a {}.",
    "graffiti of a {}.",
    "a bad photo of the {}.",
    "a cropped photo of the {}.",
    "a tattoo of a {}.",
    "the embroidered {}.",
    "a photo of a hard to see {}.",
    "a bright photo of a {}.",
    "a photo of a clean {}.",
    "a photo of a dirty {}.",
    "a dark photo of the {}.",
    "a drawing of a {}.",
    "a photo of my {}.",
    "the plastic {}.",
    "a photo of the cool {}.",
    "a close-up photo of a {}.",
    "a black and white photo of the {}.",
    "a painting of the {}.",
    "a painting of a {}.",
    "a pixelated photo of the {}.",
    "a sculpture of the {}.",
    "a bright photo of the {}.",
    "a cropped photo of a {}.",
    "a plastic {}.",
    "a photo of the dirty {}.",
    "a jpeg corrupted photo of a {}.",
    "a blurry photo of the {}.",
    "a photo of the {}.",
    "a good photo of the {}.",
    "a rendering of the {}.",
    "a {} in a video game.",
    "a photo of one {}.",
    "a doodle of a {}.",
    "a close-up photo of the {}.",
    "a photo of a {}.",
    "the origami {}.",
    "the {} in a video game.",
    "a sketch of a {}.",
    "a doodle of the {}.",
    "a origami {}.",
    "a low resolution photo of a {}.",
    "the toy {}.",
    "a rendition of the {}.",
    "a photo of the clean {}.",
    "a photo of a large {}.",
    "a rendition of a {}.",
    "a photo of a nice {}.",
    "a photo of a weird {}.",
    "a blurry photo of a {}.",
    "a cartoon {}.",
    "art of a {}.",
    "a sketch of the {}.",
    "a embroidered {}.",
    "a pixelated photo of a {}.",
    "itap of the {}.",
    "a jpeg corrupted photo of the {}.",
    "a good photo of a {}.",
    "a plushie {}.",
    "a photo of the nice {}.",
    "a photo of the small {}.",
    "a photo of the weird {}.",
    "the cartoon {}.",
    "art of the {}.",
    "a drawing of the {}.",
    "a photo of the large {}.",
    "a black and white photo of a {}.",
    "the plushie {}.",
    "a dark photo of a {}.",
    "itap of a {}.",
    "graffiti of the {}.",
    "a toy {}.",
    "itap of my {}.",
    "a photo of a cool {}.",
    "a photo of a small {}.",
    "a tattoo of the {}.",
};
const std::vector<std::string> kSimpleTemplates = {
    "itap of a {}.",  "a bad photo of the {}.",   "a origami {}.", "a photo of the large {}.", "a {} in a video game.",
    "art of the {}.", "a photo of the small {}.",
};
const std::vector<std::string> kNoTemplates = {"{}"};

// Unit-length copy of each row of f32 [N, D], accumulated in double.
Tensor normalize_rows(const Tensor& t) {
    Tensor out = t.to_f32();
    const int64_t n = out.shape()[0], d = out.shape()[1];
    float* p = out.f32();
    for (int64_t i = 0; i < n; ++i) {
        double sum = 0.0;
        for (int64_t j = 0; j < d; ++j) sum += static_cast<double>(p[i * d + j]) * p[i * d + j];
        const double inv = 1.0 / std::max(std::sqrt(sum), 1e-12);  // F.normalize's eps
        for (int64_t j = 0; j < d; ++j) p[i * d + j] = static_cast<float>(p[i * d + j] * inv);
    }
    return out;
}

}  // namespace

TemplateSet parse_template_set(const std::string& name) {
    if (name == "openai") return TemplateSet::OpenAi;
    if (name == "simple") return TemplateSet::Simple;
    if (name == "none") return TemplateSet::None;
    fail("unknown template set '", name, "' (openai, simple, none)");
}

const std::vector<std::string>& zero_shot_templates(TemplateSet set) {
    switch (set) {
        case TemplateSet::OpenAi:
            return kOpenAiTemplates;
        case TemplateSet::Simple:
            return kSimpleTemplates;
        case TemplateSet::None:
            break;
    }
    return kNoTemplates;
}

std::string format_template(const std::string& templ, const std::string& label) {
    std::string out = templ;
    const size_t at = out.find("{}");
    if (at == std::string::npos) fail("template '", templ, "' has no {} for the label");
    return out.replace(at, 2, label);
}

std::vector<std::string> split_labels(const std::string& comma_list) {
    std::vector<std::string> labels;
    size_t begin = 0;
    while (true) {
        const size_t end = comma_list.find(',', begin);
        std::string label = comma_list.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
        const size_t first = label.find_first_not_of(" \t\r\n");
        const size_t last = label.find_last_not_of(" \t\r\n");
        label = first == std::string::npos ? "" : label.substr(first, last - first + 1);
        if (label.empty()) {
            if (comma_list.find_first_not_of(" \t\r\n,") == std::string::npos) fail("no labels given (--labels a,b,c)");
            fail("label ", labels.size() + 1, " of '", comma_list, "' is empty");
        }
        labels.push_back(std::move(label));
        if (end == std::string::npos) break;
        begin = end + 1;
    }
    return labels;
}

Tensor zero_shot_classifier(ClipEmbedder& embedder, const std::vector<std::string>& labels, TemplateSet set) {
    if (labels.empty()) fail("no labels given (--labels a,b,c)");
    const std::vector<std::string>& templates = zero_shot_templates(set);
    std::vector<std::string> texts;
    for (const std::string& label : labels) {
        for (const std::string& templ : templates) texts.push_back(format_template(templ, label));
    }
    // encode_text(normalize=True) per text, as open_clip does, then the mean per label.
    const Tensor embeddings = embedder.embed_texts(texts, /*normalize=*/true);
    const int64_t c = static_cast<int64_t>(labels.size()), t = static_cast<int64_t>(templates.size());
    const int64_t d = embeddings.shape()[1];
    Tensor means(Shape{c, d}, DType::F32);
    const float* e = embeddings.f32();
    for (int64_t k = 0; k < c; ++k) {
        for (int64_t j = 0; j < d; ++j) {
            double sum = 0.0;
            for (int64_t i = 0; i < t; ++i) sum += e[(k * t + i) * d + j];
            means.f32()[k * d + j] = static_cast<float>(sum / static_cast<double>(t));
        }
    }
    return normalize_rows(means);
}

Tensor zero_shot_logits(const Tensor& image_features, const Tensor& classifier, float logit_scale, float logit_bias) {
    if (image_features.shape().rank() != 2 || classifier.shape().rank() != 2 ||
        image_features.shape()[1] != classifier.shape()[1]) {
        fail("zero-shot logits need [N, D] image features and a [C, D] classifier, got ", image_features.shape(),
             " and ", classifier.shape());
    }
    const Tensor img = normalize_rows(image_features);
    const Tensor cls = classifier.to_f32();
    const int64_t n = img.shape()[0], c = cls.shape()[0], d = img.shape()[1];
    Tensor logits(Shape{n, c}, DType::F32);
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t k = 0; k < c; ++k) {
            double dot = 0.0;
            for (int64_t j = 0; j < d; ++j) dot += static_cast<double>(img.f32()[i * d + j]) * cls.f32()[k * d + j];
            logits.f32()[i * c + k] = static_cast<float>(logit_scale * dot + logit_bias);
        }
    }
    return logits;
}

Tensor softmax_rows(const Tensor& logits) {
    Tensor out = logits.to_f32();
    const int64_t n = out.shape()[0], c = out.shape()[1];
    for (int64_t i = 0; i < n; ++i) {
        float* row = out.f32() + i * c;
        float max = row[0];
        for (int64_t k = 1; k < c; ++k) max = std::max(max, row[k]);
        double sum = 0.0;
        for (int64_t k = 0; k < c; ++k) sum += std::exp(static_cast<double>(row[k]) - max);
        for (int64_t k = 0; k < c; ++k) row[k] = static_cast<float>(std::exp(static_cast<double>(row[k]) - max) / sum);
    }
    return out;
}

}  // namespace cliprt
