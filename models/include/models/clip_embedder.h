// What the apps use: a model loaded from what the user named, on one backend, with the tokenizer
// and the preprocessing that belong to it (from the model directory, or open_clip's defaults).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cliprt/backend.h"
#include "cliprt/image.h"
#include "cliprt/tensor.h"
#include "cliprt/text_tokenizer.h"
#include "models/clip_model.h"

namespace cliprt {

struct EmbedderOptions {
    std::string model;             // built-in name, config file, open_clip or HF directory
    std::string weights;           // "synthetic", a .safetensors file, or empty for a directory
    std::string backend = "auto";  // cpu | vulkan | cuda | auto
    std::string dtype = "f32";     // f32 | f16 (GPU backends)
    int device = -1;
    int batch = 8;    // largest batch per forward
    int threads = 0;  // CPU backends' threads; 0 = every core
    // Whose image preprocessing and text tokenization rules to follow: "open_clip" or
    // "transformers"; empty: the model's own library (transformers for an HF CLIPModel directory).
    std::string preprocess;
};

// The tokenizer and context length of a model, found without loading its weights (for
// `cliprt tokenize --model`): for a config naming hf_tokenizer_name, the model directory's
// tokenizer.json with open_clip's HFTokenizer semantics; for an HF CLIPModel directory
// transformers' CLIPTokenizerFast on its tokenizer.json or vocab.json + merges.txt
// (hf_clip_processor.h), or with `preprocess` "open_clip" open_clip's rules on those files; else the
// built-in BPE (with CLIPTokenizerFast's rules for `preprocess` "transformers"). The text config's
// context_length.
struct ModelText {
    std::shared_ptr<const TextTokenizer> tokenizer;
    int context_length = ClipTokenizer::kDefaultContextLength;
    std::vector<std::string> files;  // the tokenizer files, empty for the built-in BPE
    // Set when the model's tokenizer cannot be had (hf_tokenizer_name without the files in a model
    // directory, which names what is missing; tokenizer_kwargs the tokenizer does not support): why its
    // texts cannot be tokenized. model_text() returns it so that image-only uses still work.
    std::string unsupported;
    PreprocessSemantics semantics = PreprocessSemantics::OpenClip;  // whose tokenization rules
    std::string source;                                             // which files, in words
};
ModelText model_text(const std::string& model, const std::string& preprocess = "");

// The config of what the user named (directory, config file or built-in name), without weights.
ClipConfig read_model_config(const std::string& model);
// The preprocessing ClipEmbedder::open uses for the model with these semantics (ModelText::semantics):
// an open_clip directory's or config file's preprocess_cfg, an HF directory's image processor, or
// open_clip's defaults at the model's size; turned into transformers' steps for Transformers.
PreprocessConfig model_preprocess(const std::string& model, const ClipConfig& config, PreprocessSemantics semantics);

class ClipEmbedder {
public:
    // Throws Error with a readable message. `note` receives backend fallback notes, if any.
    static std::unique_ptr<ClipEmbedder> open(const EmbedderOptions& options, std::string* note = nullptr);
    ~ClipEmbedder();

    int dim() const;  // embed_dim
    const PreprocessConfig& preprocess() const;
    const ModelText& text() const;
    const TextTokenizer& tokenizer() const;
    int context_length() const;
    // Stable identity of config + weight contents: an index made with one model refuses another.
    const std::string& identity() const;
    std::string backend_name() const;

    // The eval transform of one file: f32 [3, H, W]; throws Error for unreadable/corrupt files.
    Tensor load_image(const std::string& path) const;
    // images f32 [N, 3, H, W] (any N; split into forwards of at most options.batch) -> f32 [N, dim]
    Tensor embed_images(const Tensor& images, bool normalize = true);
    Tensor embed_image_files(const std::vector<std::string>& paths, bool normalize = true);
    // texts -> f32 [N, dim]; throws Error on invalid UTF-8.
    Tensor embed_texts(const std::vector<std::string>& texts, bool normalize = true);
    float logit_scale();  // already exp'd

    ClipSession& session();

private:
    ClipEmbedder();
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace cliprt
