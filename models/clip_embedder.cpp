#include "models/clip_embedder.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cliprt/backends.h"
#include "cliprt/config_json.h"
#include "cliprt/error.h"
#include "cliprt/hf_text_tokenizer.h"
#include "cliprt/safetensors.h"
#include "models/hf_clip.h"
#include "models/hf_clip_processor.h"
#include "models/hf_clip_tokenizer.h"
#include "models/hf_text_model.h"
#include "models/model_loader.h"

namespace cliprt {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json parse_json(const std::string& text, const std::string& source) { return config_json::parse(text, source); }

// A fast, stable 64-bit content hash (four multiply-xorshift lanes over little-endian words, then
// the tail and the length). Not cryptographic: it tells models apart, it does not authenticate them.
class Hasher {
public:
    void bytes(const void* data, size_t size) {
        const auto* p = static_cast<const unsigned char*>(data);
        uint64_t lanes[4] = {0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull,
                             0xd6e8feb86659fd93ull};
        size_t i = 0;
        for (; i + 32 <= size; i += 32) {
            for (int l = 0; l < 4; ++l) lanes[l] = mix(lanes[l] ^ load(p + i + 8 * l));
        }
        uint64_t tail = 0x27d4eb2f165667c5ull;
        for (; i < size; ++i) tail = mix(tail ^ p[i]);
        for (uint64_t lane : lanes) word(lane);
        word(tail);
        word(size);
    }
    void text(const std::string& s) { bytes(s.data(), s.size()); }
    void word(uint64_t w) { state_ = mix(state_ ^ w); }
    std::string hex() const {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(state_));
        return buf;
    }

private:
    static uint64_t load(const unsigned char* p) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; --b) w = (w << 8) | p[b];  // little-endian regardless of the host
        return w;
    }
    static uint64_t mix(uint64_t x) {  // splitmix64 finalizer
        x += 0x9e3779b97f4a7c15ull;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
        return x ^ (x >> 31);
    }
    uint64_t state_ = 0x6a09e667f3bcc908ull;
};

void hash_file(Hasher& hasher, const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) fail("cannot read ", path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        fail("cannot stat ", path);
    }
    const size_t size = static_cast<size_t>(st.st_size);
    if (size == 0) {
        ::close(fd);
        hasher.bytes(nullptr, 0);
        return;
    }
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (map == MAP_FAILED) fail("cannot map ", path);
    hasher.bytes(map, size);
    ::munmap(map, size);
}

// Every field of the config that changes what the graph computes, in a fixed order; the config's
// name (a path for files) is left out so that moving a model directory keeps its identity.
std::string describe_config(const ClipConfig& c) {
    std::ostringstream s;
    s.precision(17);
    auto block = [&](const BlockConfig& b) {
        s << "act=" << static_cast<int>(b.act) << " eps=" << b.ln_eps
          << " ls=" << (b.ls_init_value ? *b.ls_init_value : -1.0) << " qk=" << b.qk_norm << b.scaled_cosine_attn
          << b.scale_heads << b.scale_attn_inner << b.scale_attn << b.scale_fc;
    };
    const VisionConfig& v = c.vision;
    const TextConfig& t = c.text;
    s << "embed=" << c.embed_dim << " qg=" << c.quick_gelu << " ct=" << c.custom_text
      << " nls=" << c.nonscalar_logit_scale << " lb=" << c.has_logit_bias << "|vision resnet=" << v.resnet << " rl=";
    for (int l : v.resnet_layers) s << l << ",";
    s << " layers=" << v.layers << " width=" << v.width << " hw=" << v.head_width << " mlp=" << v.mlp_ratio
      << " patch=" << v.patch_size << " size=" << v.image_size << "x" << v.image_width << " ap=" << v.attentional_pool
      << " apq=" << v.attn_pooler_queries << " aph=" << v.attn_pooler_heads << " noln=" << v.no_ln_pre
      << " flap=" << v.final_ln_after_pool << " pool=" << v.pool_type << " se=" << v.use_se << " apln=" << v.attnpool_ln
      << " ";
    if (v.timm())
        s << "timm=" << v.timm_model_name << " tp=" << v.timm_pool << " tj=" << v.timm_proj
          << " tb=" << v.timm_proj_bias << " ";
    block(v.block);
    s << "|text ctx=" << t.context_length << " vocab=" << t.vocab_size << " width=" << t.width << " heads=" << t.heads
      << " layers=" << t.layers << " mlp=" << t.mlp_ratio << " nocm=" << t.no_causal_mask << " pad=" << t.pad_id
      << " eos=" << t.eos_id << " pool=" << t.pool_type << " pb=" << t.proj_bias << " pt=" << t.proj_type << " ";
    block(t.block);
    if (t.hf) {
        const HfEncoderConfig& h = *t.hf;
        s << "|hf type=" << h.model_type << " vocab=" << h.vocab_size << " width=" << h.hidden_size
          << " layers=" << h.num_layers << " heads=" << h.num_heads << " inter=" << h.intermediate_size
          << " pos=" << h.max_position_embeddings << " types=" << h.type_vocab_size << " pad=" << h.pad_token_id
          << " eps=" << h.layer_norm_eps << " act=" << static_cast<int>(h.act) << " pooler=" << t.hf_pooler
          << " proj=" << t.hf_proj << " prefix=" << t.hf_weights_prefix << " norm=" << t.normalize_output
          << " vision=" << c.has_vision;
    }
    return s.str();
}

std::string describe_preprocess(const PreprocessConfig& p) {
    std::ostringstream s;
    s.precision(9);
    s << p.height << "x" << p.width << " mean=" << p.mean[0] << "," << p.mean[1] << "," << p.mean[2]
      << " std=" << p.std[0] << "," << p.std[1] << "," << p.std[2] << " interp=" << static_cast<int>(p.interpolation)
      << " resize=" << static_cast<int>(p.resize_mode) << " fill=" << p.fill_color;
    if (p.semantics == PreprocessSemantics::Transformers) {
        // Also the tokenization rules: the semantics switch both.
        const TransformersImageSettings& t = p.transformers;
        s << " transformers rgb=" << t.convert_rgb << " resize=" << t.resize << " se=" << t.shortest_edge << " "
          << t.resize_height << "x" << t.resize_width << " resample=" << static_cast<int>(t.resample)
          << " crop=" << t.center_crop << " " << t.crop_height << "x" << t.crop_width << " rescale=" << t.rescale << " "
          << t.rescale_factor << " norm=" << t.normalize;
    }
    return s.str();
}

// open_clip_config.json's preprocess_cfg; a missing "size" means the model's image size, as
// open_clip merges the model's own preprocess_cfg under the hub's.
PreprocessConfig open_clip_preprocess(const json& hub, const ClipConfig& config, const std::string& source) {
    PreprocessConfig p;
    if (hub.contains("preprocess_cfg") && !hub["preprocess_cfg"].is_null()) {
        try {
            p = PreprocessConfig::from_json(hub["preprocess_cfg"].dump());
        } catch (const Error& e) {
            fail(source, ": ", e.what());
        }
        if (!hub["preprocess_cfg"].contains("size")) {
            p.height = config.vision.image_size;
            p.width = config.vision.image_width;
        }
    } else {
        p.height = config.vision.image_size;
        p.width = config.vision.image_width;
    }
    return p;
}

}  // namespace

ModelText model_text(const std::string& model, const std::string& preprocess) {
    ModelText text;
    text.tokenizer = builtin_clip_text_tokenizer();
    text.source = "built-in BPE";
    const bool override_semantics = !preprocess.empty();
    if (override_semantics) text.semantics = parse_preprocess_semantics(preprocess);
    ClipConfig config;
    fs::path open_clip_dir;  // set for an open_clip model directory
    if (fs::is_directory(model)) {
        const fs::path dir(model);
        if (fs::exists(dir / "open_clip_config.json")) {
            config = parse_model_config(read_text_file(dir / "open_clip_config.json"),
                                        (dir / "open_clip_config.json").string());
            open_clip_dir = dir;
        } else if (is_hf_text_directory(model)) {
            // transformers' / sentence-transformers' own tokenizer call: no open_clip text cleaning.
            config = hf_text_directory_config(model);
            HfTextTokenizerOptions options;
            options.clean = "";
            auto tokenizer = HfTextTokenizer::from_directory(model, options);
            if (tokenizer->pads_left())
                fail(model, ": padding_side left is not supported for encoder towers (positions assume right padding)");
            text.tokenizer = tokenizer;
            text.files = HfTextTokenizer::files(model);
            text.source = "tokenizer.json (transformers' call, no open_clip cleaning)";
            text.context_length = config.text.context_length;
            return text;
        } else if (is_hf_clip_directory(model)) {
            config = parse_hf_clip_config(read_text_file(dir / "config.json"), (dir / "config.json").string());
            if (!override_semantics) text.semantics = PreprocessSemantics::Transformers;
            const fs::path vocab = dir / "vocab.json", merges = dir / "merges.txt";
            if (text.semantics == PreprocessSemantics::Transformers) {
                HfClipText hf = hf_clip_tokenizer(model);
                text.tokenizer = hf.tokenizer;
                text.files = hf.files;
                text.source = hf.source;
            } else if (fs::exists(vocab) && fs::exists(merges)) {
                text.tokenizer = clip_text_tokenizer(
                    std::make_shared<const ClipTokenizer>(ClipTokenizer::from_files(vocab.string(), merges.string())));
                text.files = {vocab.string(), merges.string()};
                text.source = "vocab.json + merges.txt";
            }
        } else {
            fail("'", model,
                 "' is neither an open_clip model directory (open_clip_config.json) nor a transformers CLIPModel "
                 "directory (config.json with model_type clip) nor a BERT / RoBERTa / XLM-R text encoder directory");
        }
    } else if (model.size() > 5 && model.substr(model.size() - 5) == ".json") {
        config = parse_model_config(read_text_file(model), model);
    } else {
        config = builtin_model_config(model);
    }
    text.context_length = config.text.context_length;
    const std::string& kwargs = config.text.tokenizer_kwargs;
    const std::string& hf_name = config.text.hf_tokenizer_name;
    if (!hf_name.empty()) {
        // open_clip's HFTokenizer: the tokenizer files come from the model directory (cliprt downloads nothing).
        if (!config.text.tokenizer_mode.empty()) {
            text.unsupported = "model '" + model + "' asks for open_clip's tokenizer_mode '" +
                               config.text.tokenizer_mode + "', which cliprt does not have";
        } else if (open_clip_dir.empty()) {
            text.unsupported = "model '" + model + "' uses the Hugging Face tokenizer '" + hf_name +
                               "': give a model directory with open_clip_config.json and that tokenizer's "
                               "tokenizer.json (plus tokenizer_config.json and special_tokens_map.json)";
        } else if (!fs::exists(open_clip_dir / "tokenizer.json")) {
            text.unsupported = "model directory '" + model + "' names the Hugging Face tokenizer '" + hf_name +
                               "' but lacks its files: missing " + (open_clip_dir / "tokenizer.json").string() +
                               (fs::exists(open_clip_dir / "tokenizer_config.json")
                                    ? ""
                                    : ", " + (open_clip_dir / "tokenizer_config.json").string()) +
                               " (copy them from the tokenizer's hub repository)";
        } else {
            HfTextTokenizerOptions options =
                parse_tokenizer_kwargs(kwargs, (open_clip_dir / "open_clip_config.json").string());
            // transformers semantics: the tokenizer alone, without open_clip's clean function.
            if (text.semantics == PreprocessSemantics::Transformers) options.clean.clear();
            text.tokenizer = HfTextTokenizer::from_directory(open_clip_dir.string(), options);
            text.files = HfTextTokenizer::files(open_clip_dir.string());
            text.source = "tokenizer.json";
        }
    } else if (!kwargs.empty() && kwargs != "{}" && kwargs != R"({"clean":"lower"})") {
        text.unsupported = "model '" + model + "' asks for tokenizer options " + kwargs +
                           "; cliprt's CLIP BPE does only clean='lower'";
    } else if (text.semantics == PreprocessSemantics::Transformers && text.files.empty()) {
        const HfClipText hf = builtin_transformers_tokenizer();
        text.tokenizer = hf.tokenizer;
        text.source = hf.source;
    }
    return text;
}

ClipConfig read_model_config(const std::string& model) {
    if (fs::is_directory(model)) {
        const fs::path dir(model);
        if (fs::exists(dir / "open_clip_config.json"))
            return parse_model_config(read_text_file(dir / "open_clip_config.json"),
                                      (dir / "open_clip_config.json").string());
        if (is_hf_text_directory(model)) return hf_text_directory_config(model);
        if (is_hf_clip_directory(model))
            return parse_hf_clip_config(read_text_file(dir / "config.json"), (dir / "config.json").string());
        fail("'", model,
             "' is neither an open_clip model directory (open_clip_config.json) nor a transformers CLIPModel "
             "directory (config.json with model_type clip) nor a BERT / RoBERTa / XLM-R text encoder directory");
    }
    if (model.size() > 5 && model.substr(model.size() - 5) == ".json")
        return parse_model_config(read_text_file(model), model);
    return builtin_model_config(model);
}

PreprocessConfig model_preprocess(const std::string& model, const ClipConfig& config, PreprocessSemantics semantics) {
    PreprocessConfig p;
    p.height = config.vision.image_size;
    p.width = config.vision.image_width;
    if (!config.has_vision) return p;  // a text encoder alone: no images to preprocess
    if (fs::is_directory(model)) {
        const fs::path dir(model);
        if (fs::exists(dir / "open_clip_config.json")) {
            const fs::path path = dir / "open_clip_config.json";
            p = open_clip_preprocess(parse_json(read_text_file(path), path.string()), config, path.string());
        } else {
            p = hf_clip_preprocess(model, config, semantics);
        }
    } else if (model.size() > 5 && model.substr(model.size() - 5) == ".json") {
        // A config file: an open_clip_config.json may carry a preprocess_cfg too.
        const json j = parse_json(read_text_file(model), model);
        if (j.is_object() && j.contains("model_cfg")) p = open_clip_preprocess(j, config, model);
    }
    if (semantics == PreprocessSemantics::Transformers) p = transformers_equivalent(p, model);
    if (p.height != config.vision.image_size || p.width != config.vision.image_width) {
        fail("the preprocessing of '", model, "' makes ", p.height, "x", p.width, " images but the model takes ",
             config.vision.image_size, "x", config.vision.image_width);
    }
    return p;
}

struct ClipEmbedder::State {
    EmbedderOptions options;
    std::shared_ptr<ClipModel> model;
    std::unique_ptr<Backend> backend;
    std::unique_ptr<ClipSession> session;
    PreprocessConfig preprocess;
    ModelText text;
    // What identity() hashes, besides the config, the preprocessing and text.files.
    std::vector<std::string> weight_files;  // empty: synthetic weights
    mutable std::once_flag identity_once;
    mutable std::string identity;
};

ClipEmbedder::ClipEmbedder() : state_(std::make_unique<State>()) {}
ClipEmbedder::~ClipEmbedder() = default;

std::unique_ptr<ClipEmbedder> ClipEmbedder::open(const EmbedderOptions& options, std::string* note) {
    if (options.batch < 1) fail("batch size must be >= 1, got ", options.batch);
    std::unique_ptr<ClipEmbedder> embedder(new ClipEmbedder());
    State& s = *embedder->state_;
    s.options = options;
    s.model = load_clip_model(options.model, options.weights);
    const ClipConfig& config = s.model->config();
    s.text = model_text(options.model, options.preprocess);
    s.text.context_length = config.text.context_length;
    s.preprocess = model_preprocess(options.model, config, s.text.semantics);

    // Which files hold the weights (for identity), mirroring load_clip_model's choices.
    if (!options.weights.empty()) {
        if (options.weights != "synthetic") s.weight_files.push_back(options.weights);
    } else if (fs::is_directory(options.model)) {
        const fs::path dir(options.model);
        if (fs::exists(dir / "open_clip_config.json")) {
            s.weight_files.push_back((dir / "open_clip_model.safetensors").string());
        } else {
            for (const auto& file : open_hf_safetensors(options.model)) s.weight_files.push_back(file->path());
        }
    }

    BackendOptions backend_options;
    backend_options.device = options.device;
    backend_options.threads = options.threads;
    backend_options.dtype = parse_dtype(options.dtype);
    s.backend = create_backend(options.backend, backend_options, note);
    s.session = std::make_unique<ClipSession>(s.model, *s.backend);
    return embedder;
}

int ClipEmbedder::dim() const { return state_->model->config().embed_dim; }
const PreprocessConfig& ClipEmbedder::preprocess() const { return state_->preprocess; }
const ModelText& ClipEmbedder::text() const { return state_->text; }
const TextTokenizer& ClipEmbedder::tokenizer() const { return *state_->text.tokenizer; }
int ClipEmbedder::context_length() const { return state_->text.context_length; }
std::string ClipEmbedder::backend_name() const { return state_->backend->name(); }
ClipSession& ClipEmbedder::session() { return *state_->session; }
float ClipEmbedder::logit_scale() { return state_->model->logit_scale(); }

// identity = "<vit|resnet>-<image size>-<embed dim>-<16 hex digits>" ("text-<context>-..." for a
// text encoder alone), the digits hashing: the
// model config (every field that shapes the graph, not its name or path), the preprocessing
// (size, mean/std, interpolation, resize mode, fill), the context length, the bytes of every
// weights file (safetensors header and data; "synthetic" instead for generated weights, so those
// are fixed per config) and the bytes of vocab.json / merges.txt when the model brings its own
// tokenizer. Computed on first use: hashing a ViT-B/32 checkpoint reads its 600 MB once more.
const std::string& ClipEmbedder::identity() const {
    const State& s = *state_;
    std::call_once(s.identity_once, [&s] {
        const ClipConfig& c = s.model->config();
        Hasher h;
        h.text("cliprt-identity-v1");
        h.text(describe_config(c));
        h.text(describe_preprocess(s.preprocess));
        h.word(static_cast<uint64_t>(s.text.context_length));
        if (s.weight_files.empty()) {
            h.text("synthetic");
        } else {
            for (const std::string& file : s.weight_files) hash_file(h, file);
        }
        if (s.text.files.empty()) {
            h.text("builtin-bpe");
        } else {
            for (const std::string& file : s.text.files) hash_file(h, file);
        }
        std::ostringstream id;
        if (c.has_vision) {
            id << (c.vision.resnet ? "resnet" : "vit") << "-" << c.vision.image_size << "-" << c.embed_dim << "-"
               << h.hex();
        } else {  // a text encoder alone: its context length instead of an image size
            id << "text-" << s.text.context_length << "-" << c.embed_dim << "-" << h.hex();
        }
        s.identity = id.str();
    });
    return s.identity;
}

Tensor ClipEmbedder::load_image(const std::string& path) const {
    return preprocess_image_file(path, state_->preprocess);
}

namespace {

// Copies rows [N, dim] into out starting at row `at`.
void put_rows(Tensor& out, int64_t at, const Tensor& rows) {
    const Tensor f = rows.dtype() == DType::F32 ? rows : rows.to_f32();
    std::memcpy(out.f32() + at * out.shape()[1], f.f32(), static_cast<size_t>(f.numel()) * sizeof(float));
}

Tensor slice_batch(const Tensor& t, int64_t begin, int64_t count) {
    Shape shape = t.shape();
    const int64_t row = t.numel() / shape[0];
    shape[0] = count;
    Tensor out(shape, t.dtype());
    const size_t elem = t.nbytes() / static_cast<size_t>(t.numel());
    std::memcpy(out.data(), static_cast<const unsigned char*>(t.data()) + static_cast<size_t>(begin * row) * elem,
                static_cast<size_t>(count * row) * elem);
    return out;
}

}  // namespace

Tensor ClipEmbedder::embed_images(const Tensor& images, bool normalize) {
    const State& s = *state_;
    if (!s.model->config().has_vision)
        fail("model '", s.options.model, "' is a text encoder: it embeds texts, not images");
    const Shape& shape = images.shape();
    if (images.dtype() != DType::F32 || shape.rank() != 4 || shape[1] != 3 || shape[2] != s.preprocess.height ||
        shape[3] != s.preprocess.width) {
        fail("images must be f32 [N, 3, ", s.preprocess.height, ", ", s.preprocess.width, "], got ", shape);
    }
    const int64_t n = shape[0];
    Tensor out(Shape{n, dim()}, DType::F32);
    for (int64_t begin = 0; begin < n; begin += s.options.batch) {
        const int64_t count = std::min<int64_t>(s.options.batch, n - begin);
        const Tensor chunk = count == n ? images : slice_batch(images, begin, count);
        put_rows(out, begin, state_->session->encode_image(chunk, normalize));
    }
    return out;
}

Tensor ClipEmbedder::embed_image_files(const std::vector<std::string>& paths, bool normalize) {
    const State& s = *state_;
    if (!s.model->config().has_vision)
        fail("model '", s.options.model, "' is a text encoder: it embeds texts, not images");
    const int64_t n = static_cast<int64_t>(paths.size());
    Tensor out(Shape{n, dim()}, DType::F32);
    // Decode one batch at a time so that many files never sit in memory together.
    for (int64_t begin = 0; begin < n; begin += s.options.batch) {
        const int64_t count = std::min<int64_t>(s.options.batch, n - begin);
        std::vector<Tensor> images;
        for (int64_t i = begin; i < begin + count; ++i) images.push_back(load_image(paths[static_cast<size_t>(i)]));
        put_rows(out, begin, state_->session->encode_image(stack_images(images), normalize));
    }
    return out;
}

namespace {

// The token ids of texts [N, context] and each row's length without its padding.
std::vector<int64_t> unpadded_lengths(const Tensor& ids, int32_t pad) {
    const int64_t n = ids.shape()[0], context = ids.shape()[1];
    std::vector<int64_t> lengths(static_cast<size_t>(n), 1);
    for (int64_t r = 0; r < n; ++r) {
        const int32_t* row = ids.i32() + r * context;
        int64_t used = context;
        while (used > 1 && row[used - 1] == pad) --used;
        lengths[static_cast<size_t>(r)] = used;
    }
    return lengths;
}

}  // namespace

Tensor ClipEmbedder::embed_texts(const std::vector<std::string>& texts, bool normalize) {
    const State& s = *state_;
    const int64_t n = static_cast<int64_t>(texts.size());
    Tensor out(Shape{n, dim()}, DType::F32);
    if (n == 0) return out;
    if (!s.text.unsupported.empty()) fail(s.text.unsupported);
    const int64_t context = s.text.context_length;
    const Tensor ids = s.text.tokenizer->tokenize(texts, static_cast<int>(context));
    // A model with a smaller vocabulary than the tokenizer (a test-sized model) cannot embed every text.
    const int32_t vocab = s.model->config().text.vocab_size;
    for (int64_t i = 0; i < ids.numel(); ++i) {
        if (ids.i32()[i] >= vocab)
            fail("text '", texts[static_cast<size_t>(i / context)], "' has token id ", ids.i32()[i],
                 " but the model's vocabulary has ", vocab, " ids");
    }
    const TextConfig& t = s.model->config().text;
    if (!t.hf) {
        for (int64_t begin = 0; begin < n; begin += s.options.batch) {
            const int64_t count = std::min<int64_t>(s.options.batch, n - begin);
            put_rows(out, begin,
                     state_->session->encode_text(count == n ? ids : slice_batch(ids, begin, count), normalize));
        }
        return out;
    }
    // A Hugging Face encoder masks padding, so each batch runs at its longest text (rounded up to a
    // multiple of 8 so that few graphs are compiled), and the texts go longest first, as
    // sentence-transformers orders them, so that a batch holds texts of similar length.
    const std::vector<int64_t> lengths = unpadded_lengths(ids, t.hf->pad_token_id);
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return lengths[static_cast<size_t>(a)] > lengths[static_cast<size_t>(b)];
    });
    const int64_t dim_out = dim();
    for (int64_t begin = 0; begin < n; begin += s.options.batch) {
        const int64_t count = std::min<int64_t>(s.options.batch, n - begin);
        const int64_t longest = lengths[static_cast<size_t>(order[static_cast<size_t>(begin)])];
        const int64_t length = std::min<int64_t>(context, (longest + 7) / 8 * 8);
        Tensor batch(Shape{count, length}, DType::I32);
        for (int64_t r = 0; r < count; ++r)
            std::copy_n(ids.i32() + order[static_cast<size_t>(begin + r)] * context, length, batch.i32() + r * length);
        const Tensor rows = state_->session->encode_text(batch, normalize);
        const Tensor f = rows.dtype() == DType::F32 ? rows : rows.to_f32();
        for (int64_t r = 0; r < count; ++r)
            std::copy_n(f.f32() + r * dim_out, dim_out, out.f32() + order[static_cast<size_t>(begin + r)] * dim_out);
    }
    return out;
}

}  // namespace cliprt
