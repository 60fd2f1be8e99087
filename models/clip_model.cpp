#include "models/clip_model.h"

#include <algorithm>
#include <cmath>

#include "cliprt/error.h"
#include "models/timm_archs.h"
#include "models/towers.h"

namespace cliprt {

ClipModel::ClipModel(ClipConfig config, std::shared_ptr<WeightSource> weights)
    : config_(std::move(config)), weights_(std::move(weights)) {}

std::shared_ptr<const Graph> ClipModel::image_graph(int batch, bool normalize) {
    if (batch < 1) fail("batch size must be >= 1, got ", batch);
    if (!config_.has_vision) fail("model '", config_.name, "' is a text encoder: it has no image tower");
    const VisionConfig& v = config_.vision;
    auto graph = std::make_shared<Graph>();
    ValueId image = graph->add_input("image", Shape{batch, 3, v.image_size, v.image_width}, DType::F32);
    ValueId features = -1;
    if (v.timm()) {
        const std::string family = timm_family(v.timm_model_name);
        features = family == "convnext" ? timm_convnext(*graph, weights_, "visual.", image, v, config_.embed_dim)
                   : family == "eva"
                       ? timm_eva(*graph, weights_, "visual.", image, v, config_.embed_dim)
                       : timm_vision_transformer(*graph, weights_, "visual.", image, v, config_.embed_dim);
    } else if (v.prenorm_vit) {
        features = prenorm_vit(*graph, weights_, "visual.", image, v, config_.embed_dim);
    } else {
        features = v.resnet ? modified_resnet(*graph, weights_, "visual.", image, v, config_.embed_dim)
                            : vision_transformer(*graph, weights_, "visual.", image, v, config_.embed_dim);
    }
    if (normalize) features = graph->l2_normalize(features, "normalize");
    graph->mark_output(features);
    return graph;
}

std::shared_ptr<const Graph> ClipModel::text_graph(int batch, bool normalize, int length) {
    if (batch < 1) fail("batch size must be >= 1, got ", batch);
    const TextConfig& t = config_.text;
    if (length == 0) length = t.context_length;
    if (length < 1 || length > t.context_length)
        fail("text input of ", length, " tokens for a model of context length ", t.context_length);
    auto graph = std::make_shared<Graph>();
    ValueId ids = graph->add_input("text", Shape{batch, length}, DType::I32);
    ValueId features = -1;
    if (t.hf) {
        ValueId mask = graph->add_input("attention_mask", Shape{batch, length}, DType::I32);
        features = hf_text_tower(*graph, weights_, text_prefix(), ids, mask, t, config_.embed_dim);
    } else {
        features = text_transformer(*graph, weights_, text_prefix(), ids, t, config_.embed_dim);
    }
    if (normalize) features = graph->l2_normalize(features, "normalize");
    graph->mark_output(features);
    return graph;
}

int64_t ClipModel::text_length_needed(const Tensor& ids) const {
    const TextConfig& t = config_.text;
    const int64_t n = ids.shape()[0], context = ids.shape()[1];
    const TokenPoolParams pool = text_pool(t);
    const bool prefix_exact =
        !t.hf && !t.no_causal_mask &&
        (pool.mode == PoolMode::First || pool.mode == PoolMode::Argmax || pool.mode == PoolMode::Eos);
    if (!prefix_exact) return context;
    int64_t needed = 1;
    for (int64_t pos : token_pool_positions(pool, ids.i32(), n, context)) needed = std::max(needed, pos + 1);
    return std::min(context, (needed + 7) / 8 * 8);
}

Tensor ClipModel::attention_mask(const Tensor& ids) const {
    if (!config_.text.hf) fail("model '", config_.name, "' has no Hugging Face text encoder");
    Tensor mask(ids.shape(), DType::I32);
    const int32_t pad = config_.text.hf->pad_token_id;
    for (int64_t i = 0; i < ids.numel(); ++i) mask.i32()[i] = ids.i32()[i] != pad ? 1 : 0;
    return mask;
}

float ClipModel::scalar(const std::string& name) {
    const Shape shape = config_.nonscalar_logit_scale ? Shape{1} : Shape{};
    return weights_.get(name, shape)->f32()[0];
}

float ClipModel::logit_scale() { return std::exp(scalar("logit_scale")); }

std::optional<float> ClipModel::logit_bias() {
    if (!config_.has_logit_bias) return std::nullopt;
    return scalar("logit_bias");
}

std::shared_ptr<const Graph> ClipModel::logits_graph(int images, int texts) {
    auto graph = std::make_shared<Graph>();
    const int64_t e = config_.embed_dim;
    ValueId img = graph->l2_normalize(graph->add_input("image_features", Shape{images, e}, DType::F32));
    ValueId txt = graph->l2_normalize(graph->add_input("text_features", Shape{texts, e}, DType::F32));
    ValueId cos = graph->linear(img, txt, -1, Activation::None, -1, "cosine");
    graph->mark_output(graph->unary(cos, Activation::None, logit_scale(), logit_bias().value_or(0.0f), "logits"));
    return graph;
}

std::vector<std::string> ClipModel::unused_weights() {
    if (config_.has_vision) {  // a text encoder alone has no logit scale
        logit_scale();
        logit_bias();
    }
    return weights_.source().unused_names();
}

ClipSession::ClipSession(std::shared_ptr<ClipModel> model, Backend& backend)
    : model_(std::move(model)), backend_(backend), weights_(backend) {}

Tensor ClipSession::run(Kind kind, int a, int b, const std::vector<Tensor>& inputs) {
    auto key = std::make_tuple(kind, a, b);
    auto it = compiled_.find(key);
    if (it == compiled_.end()) {
        std::shared_ptr<const Graph> graph;
        switch (kind) {
            case Kind::Image:
                graph = model_->image_graph(a, false);
                break;
            case Kind::ImageNormalized:
                graph = model_->image_graph(a, true);
                break;
            case Kind::Text:
                graph = model_->text_graph(a, false, b);
                break;
            case Kind::TextNormalized:
                graph = model_->text_graph(a, true, b);
                break;
            case Kind::Logits:
                graph = model_->logits_graph(a, b);
                break;
        }
        if (compiled_.size() >= kMaxCompiled) {
            auto oldest = compiled_.begin();
            for (auto c = compiled_.begin(); c != compiled_.end(); ++c) {
                if (c->second.last_use < oldest->second.last_use) oldest = c;
            }
            compiled_.erase(oldest);
        }
        it = compiled_.emplace(key, Compiled{std::make_unique<CompiledGraph>(graph, backend_, weights_), 0}).first;
    }
    it->second.last_use = ++uses_;
    last_ = it->second.graph.get();
    return std::move(it->second.graph->run(inputs).at(0));
}

Tensor ClipSession::encode_image(const Tensor& images, bool normalize) {
    if (images.shape().rank() != 4) fail("images must be [N, 3, H, W], got ", images.shape());
    return run(normalize ? Kind::ImageNormalized : Kind::Image, static_cast<int>(images.shape()[0]), 0, {images});
}

Tensor ClipSession::encode_text(const Tensor& ids, bool normalize) {
    if (ids.shape().rank() != 2 || ids.dtype() != DType::I32)
        fail("token ids must be i32 [N, context_length], got ", ids.shape());
    const Kind kind = normalize ? Kind::TextNormalized : Kind::Text;
    const int batch = static_cast<int>(ids.shape()[0]);
    if (!model_->config().text.hf) {
        const int64_t context = ids.shape()[1];
        const int64_t length = trim_text_ ? model_->text_length_needed(ids) : context;
        if (length == context) return run(kind, batch, static_cast<int>(context), {ids});
        Tensor prefix(Shape{batch, length}, DType::I32);
        for (int64_t r = 0; r < batch; ++r) std::copy_n(ids.i32() + r * context, length, prefix.i32() + r * length);
        return run(kind, batch, static_cast<int>(length), {prefix});
    }
    // Hugging Face encoders run at the length given (the graph is cached per length).
    return run(kind, batch, static_cast<int>(ids.shape()[1]), {ids, model_->attention_mask(ids)});
}

Tensor ClipSession::logits(const Tensor& image_features, const Tensor& text_features) {
    if (image_features.shape().rank() != 2 || text_features.shape().rank() != 2)
        fail("logits need [N, E] image and text features");
    return run(Kind::Logits, static_cast<int>(image_features.shape()[0]), static_cast<int>(text_features.shape()[0]),
               {image_features, text_features});
}

}  // namespace cliprt
