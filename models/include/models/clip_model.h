// A CLIP model: its config and weights, and the graphs of its towers built on demand.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <tuple>

#include "cliprt/executor.h"
#include "models/model_config.h"
#include "models/model_weights.h"

namespace cliprt {

class ClipModel {
public:
    ClipModel(ClipConfig config, std::shared_ptr<WeightSource> weights);

    const ClipConfig& config() const { return config_; }
    // image [batch, 3, S, S] f32 -> features [batch, embed_dim]
    std::shared_ptr<const Graph> image_graph(int batch, bool normalize);
    // ids [batch, length] i32 -> features [batch, embed_dim]; length 0 is the context length. A
    // Hugging Face encoder tower takes a second input, the attention mask [batch, length] (i32), and
    // any length up to the context length (its padding is masked); open_clip's tower takes any
    // length up to it too, as the first tokens of a context (see text_length_needed).
    std::shared_ptr<const Graph> text_graph(int batch, bool normalize, int length = 0);
    // The shortest prefix of every row of ids [N, context] that gives the same features, rounded
    // up to a multiple of 8 (so that few graphs are compiled), or the context length when no
    // prefix does. Under the causal mask token t sees only tokens <= t, so the pooled token's
    // features depend only on the tokens up to it: open_clip's argmax, eos and first pooling
    // pick a token in that prefix, and the padding after it is computed for nothing (a short
    // query is 10 tokens of 77). Hugging Face towers are trimmed by embed_texts instead.
    int64_t text_length_needed(const Tensor& ids) const;
    // The attention mask of a Hugging Face encoder tower: ids [N, L] != the encoder's pad_token_id,
    // as open_clip's HFTextEncoder makes it.
    Tensor attention_mask(const Tensor& ids) const;
    // image features [images, E], text features [texts, E] -> exp(logit_scale) * cos + logit_bias, as
    // open_clip's get_logits.
    std::shared_ptr<const Graph> logits_graph(int images, int texts);
    float logit_scale();  // already exp'd
    std::optional<float> logit_bias();
    // Checkpoint tensors no tower used; call after building both towers.
    std::vector<std::string> unused_weights();

private:
    float scalar(const std::string& name);
    std::string text_prefix() const { return config_.custom_text ? "text." : ""; }

    ClipConfig config_;
    ModelWeights weights_;
};

// A model on one backend: compiled graphs cached per (kind, batch), weights uploaded once.
class ClipSession {
public:
    ClipSession(std::shared_ptr<ClipModel> model, Backend& backend);

    Tensor encode_image(const Tensor& images, bool normalize);
    // ids [N, L]: L is the context length, or for a Hugging Face encoder tower any length up to it.
    // open_clip's towers run at model().text_length_needed(ids) unless trimming is turned off.
    Tensor encode_text(const Tensor& ids, bool normalize);
    // Off: open_clip's text towers run at the whole context length, as open_clip, PyTorch and an
    // exported ONNX graph do (for like-for-like benchmarks and for checking the trimming).
    void set_trim_text(bool on) { trim_text_ = on; }
    Tensor logits(const Tensor& image_features, const Tensor& text_features);

    ClipModel& model() { return *model_; }
    Backend& backend() { return backend_; }
    // The compiled graph of the last call, for dispatch counts and memory figures.
    const CompiledGraph* last_compiled() const { return last_; }
    const WeightCache& weight_cache() const { return weights_; }

private:
    enum class Kind { Image, ImageNormalized, Text, TextNormalized, Logits };
    Tensor run(Kind kind, int a, int b, const std::vector<Tensor>& inputs);

    std::shared_ptr<ClipModel> model_;
    Backend& backend_;
    WeightCache weights_;
    struct Compiled {
        std::unique_ptr<CompiledGraph> graph;
        uint64_t last_use = 0;
    };
    // Text graphs are compiled per sequence length: at most this many graphs (and their
    // activation memory) are kept, the least recently used dropped first.
    static constexpr size_t kMaxCompiled = 8;
    std::map<std::tuple<Kind, int, int>, Compiled> compiled_;
    uint64_t uses_ = 0;
    const CompiledGraph* last_ = nullptr;
    bool trim_text_ = true;
};

}  // namespace cliprt
