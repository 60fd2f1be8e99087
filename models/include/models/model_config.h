// open_clip model configs (the "model_cfg" schema of open_clip_config.json and of open_clip's
// built-in model_configs/*.json), parsed strictly: a key we do not know, or an option we know but
// cannot run, is an Error naming the key and the config it came from.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cliprt/graph.h"
#include "models/hf_encoder_config.h"

namespace cliprt {

// Options of open_clip's Transformer blocks (CustomResidualAttentionBlock when any is set).
struct BlockConfig {
    Activation act = Activation::Gelu;
    float ln_eps = 1e-5f;
    std::optional<double> ls_init_value;  // LayerScale present when set
    bool qk_norm = false;
    bool scaled_cosine_attn = false;
    bool scale_heads = false;
    bool scale_attn_inner = false;
    bool scale_attn = false;
    bool scale_fc = false;
    bool custom() const {
        return qk_norm || scaled_cosine_attn || scale_heads || scale_attn_inner || scale_attn || scale_fc;
    }
};

// One layer of vision_cfg "timm_custom_head" (seed 002's TimmModel custom_head, as a list of layers
// that replaces open_clip's head): {"kind": K, "name": N, ...}; weights visual.head.<N>.weight / .bias,
// N defaulting to the layer's index (as in an nn.Sequential). Kinds: linear (out_features, bias
// default true), layer_norm (eps default 1e-5, over the current width), relu, gelu, gelu_tanh,
// quick_gelu, sigmoid, tanh, identity and dropout (no-ops at inference).
struct TimmHeadLayer {
    std::string kind;
    std::string name;
    int out_features = 0;
    bool bias = true;
    float eps = 1e-5f;
};

// timm_pool null in a config: timm.create_model drops the argument and the trunk keeps its own pool.
inline constexpr const char* kTimmDefaultPool = "(trunk default)";

// vision_cfg "prenorm_vit" (seed 003's vit-pytorch style ViT as the image tower, a cliprt
// extension): image_size (square), patch_size, width (the seed's dim) and layers (depth) as usual;
// the seed's own keys here. Weights visual.<the seed's names>: to_patch_embedding.{0,1,2},
// cls_token, pos_embedding, transformer.layers.<i>.{0,1}.{norm,fn.*}, mlp_head.{0,1}
// (num_classes = embed_dim).
struct PrenormVitConfig {
    int heads = 8;
    int dim_head = 64;
    int mlp_dim = 0;           // FeedForward hidden width (required)
    std::string pool = "cls";  // cls (token 0) or mean (every token, the class token included)
};

struct VisionConfig {
    bool resnet = false;  // layers given as a list: ModifiedResNet
    std::vector<int> resnet_layers;
    int layers = 12;
    int width = 768;
    int head_width = 64;
    double mlp_ratio = 4.0;
    int patch_size = 16;
    int image_size = 224;   // height
    int image_width = 224;  // open_clip allows [H, W]
    bool attentional_pool = false;
    int attn_pooler_queries = 256;
    int attn_pooler_heads = 8;
    bool no_ln_pre = false;
    bool final_ln_after_pool = false;
    std::string pool_type = "tok";  // tok, avg, none
    bool use_se = false;            // SE block in the ResNet Bottleneck (cliprt extension)
    bool attnpool_ln = false;       // LayerNorm before AttentionPool2d's q/k/v (seed 001; cliprt extension)
    BlockConfig block;
    std::optional<PrenormVitConfig> prenorm_vit;  // seed 003's tower (cliprt extension)
    // open_clip's TimmModel tower (timm_model.py) when timm_model_name is set; the keys above
    // (except image_size) are then unused, as in open_clip.
    std::string timm_model_name;
    std::string timm_pool = "avg";     // '', token, avg, map (timm's global_pool), or kTimmDefaultPool
    std::string timm_proj = "linear";  // '', linear, mlp, none
    bool timm_proj_bias = false;
    std::vector<TimmHeadLayer> timm_custom_head;  // non-empty: replaces open_clip's head (timm_proj unused)
    bool timm() const { return !timm_model_name.empty(); }
};

struct TextConfig {
    int context_length = 77;
    int vocab_size = 49408;
    int width = 512;
    int heads = 8;
    int layers = 12;
    double mlp_ratio = 4.0;
    bool no_causal_mask = false;
    int pad_id = 0;
    int eos_id = 2;
    std::string pool_type = "argmax";  // first, last, argmax, eos
    bool proj_bias = false;
    std::string proj_type = "linear";  // linear, none
    std::string hf_tokenizer_name;     // set when the model's tokenizer is not open_clip's CLIP BPE
    std::string tokenizer_mode;        // open_clip HFTokenizer mode ('clips'), empty for the standard one
    std::string tokenizer_kwargs;      // JSON of text_cfg.tokenizer_kwargs, empty when absent
    BlockConfig block;

    // A Hugging Face encoder tower (open_clip's HFTextEncoder, or a transformers /
    // sentence-transformers directory) instead of open_clip's TextTransformer when set.
    std::optional<HfEncoderConfig> hf;
    std::string hf_model_name;
    std::string hf_pooler = "mean_pooler";  // mean_pooler, max_pooler, cls_pooler, cls_last_hidden_state_pooler
    std::string hf_proj = "mlp";            // linear, mlp, none (open_clip: hf_proj_type null, width == embed_dim)
    std::string hf_weights_prefix = "transformer.";  // after the tower prefix: open_clip's; "" for a directory
    bool normalize_output = false;                   // sentence-transformers' Normalize module
};

struct ClipConfig {
    std::string name;  // built-in name or the file it came from
    int embed_dim = 512;
    bool quick_gelu = false;
    bool custom_text = false;  // CustomTextCLIP: text weights under "text."
    bool nonscalar_logit_scale = false;
    bool has_logit_bias = false;
    bool has_vision = true;  // false: a text encoder alone (transformers / sentence-transformers directory)
    VisionConfig vision;
    TextConfig text;
};

// Parses a model_cfg JSON object given as text; `source` names it in errors.
ClipConfig parse_model_config(const std::string& json_text, const std::string& source);
// open_clip's built-in configs shipped in models/configs/ (ViT-B-32, RN50, ...).
ClipConfig builtin_model_config(const std::string& name);
std::vector<std::string> builtin_model_names();
bool is_builtin_model(const std::string& name);

}  // namespace cliprt
