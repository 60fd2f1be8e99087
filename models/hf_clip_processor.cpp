// The image processor settings of a transformers CLIPModel directory, with transformers' semantics
// (the default for such a directory) or open_clip's (--preprocess open_clip).
#include "models/hf_clip_processor.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cliprt/config_json.h"
#include "cliprt/error.h"
#include "models/model_loader.h"

namespace cliprt {

namespace fs = std::filesystem;
using nlohmann::json;
namespace cj = config_json;

namespace {

// The image processor's JSON: preprocessor_config.json, else processor_config.json's
// "image_processor"; null when the directory has neither (CLIPImageProcessor's defaults apply).
json image_processor_json(const fs::path& dir, std::string& where) {
    const fs::path pre = dir / "preprocessor_config.json", processor = dir / "processor_config.json";
    if (fs::exists(pre)) {
        where = pre.string();
        return read_json_file(pre.string());
    }
    if (fs::exists(processor)) {
        json j = read_json_file(processor.string());
        if (j.is_object() && j.contains("image_processor")) {
            where = processor.string() + " image_processor";
            return j["image_processor"];
        }
    }
    where = (dir / "preprocessor_config.json").string() + " (absent: CLIPImageProcessor's defaults)";
    return nullptr;
}

bool flag(const json& j, const char* key, bool fallback, const std::string& where) {
    const json* v = j.is_object() ? cj::member(j, key) : nullptr;
    if (!v || v->is_null()) return fallback;
    if (!v->is_boolean()) fail(where, ": '", key, "' must be true or false, not ", cj::describe(*v));
    return v->get<bool>();
}

// get_size_dict: an integer size means {"shortest_edge": n} for `size` and {"height": n, "width": n}
// for `crop_size`; dicts are taken as they are.
struct SizeDict {
    int shortest_edge = 0, height = 0, width = 0;
};

SizeDict size_dict(const json& v, const char* key, bool square, const std::string& where) {
    SizeDict s;
    constexpr int kMax = 1 << 14;
    if (v.is_number_integer()) {
        const int n = cj::to_int(v, where, key, 1, kMax);
        if (square)
            s.height = s.width = n;
        else
            s.shortest_edge = n;
        return s;
    }
    if (!v.is_object()) fail(where, ": '", key, "' must be an integer or an object, not ", cj::describe(v));
    const std::string at = where + " " + key;
    if (const json* e = cj::member(v, "shortest_edge"); e && !e->is_null()) {
        s.shortest_edge = cj::to_int(*e, at, "shortest_edge", 1, kMax);
        if (const json* m = cj::member(v, "longest_edge"); m && !m->is_null())
            fail(at, ": longest_edge is not supported (CLIPImageProcessor resizes by shortest_edge)");
        return s;
    }
    const json* h = cj::member(v, "height");
    const json* w = cj::member(v, "width");
    if (!h || !w) fail(at, ": needs shortest_edge, or height and width, got ", v.dump());
    s.height = cj::to_int(*h, at, "height", 1, kMax);
    s.width = cj::to_int(*w, at, "width", 1, kMax);
    return s;
}

std::array<float, 3> triple(const json& j, const char* key, std::array<float, 3> fallback, const std::string& where) {
    const json* v = j.is_object() ? cj::member(j, key) : nullptr;
    if (!v || v->is_null()) return fallback;
    std::array<float, 3> out{};
    if (v->is_number()) {
        out.fill(static_cast<float>(cj::number(*v, where, key, -1e6, 1e6)));
    } else if (v->is_array() && v->size() == 3) {
        for (size_t c = 0; c < 3; ++c) out[c] = static_cast<float>(cj::number((*v)[c], where, key, -1e6, 1e6));
    } else {
        fail(where, ": '", key, "' must be a number or three numbers, not ", cj::describe(*v));
    }
    return out;
}

// PIL.Image.Resampling values as preprocessor_config.json stores them.
Interpolation resample_of(const json& j, const std::string& where) {
    const json* v = j.is_object() ? cj::member(j, "resample") : nullptr;
    if (!v || v->is_null()) return Interpolation::Bicubic;
    const int r = cj::to_int(*v, where, "resample", 0, 5);
    switch (r) {
        case 0:
            return Interpolation::Nearest;
        case 2:
            return Interpolation::Bilinear;
        case 3:
            return Interpolation::Bicubic;
        default:
            fail(where, ": resample ", r, " (",
                 r == 1   ? "LANCZOS"
                 : r == 4 ? "BOX"
                          : "HAMMING",
                 ") is not supported (0 NEAREST, 2 BILINEAR, 3 BICUBIC)");
    }
}

// CLIPImageProcessor's settings with its defaults (image_processing_clip.py __init__).
TransformersImageSettings read_settings(const json& j, const std::string& where, std::array<float, 3>& mean,
                                        std::array<float, 3>& std_dev) {
    if (!j.is_null() && !j.is_object()) fail(where, ": must be a JSON object");
    TransformersImageSettings t;
    t.convert_rgb = flag(j, "do_convert_rgb", true, where);
    t.resize = flag(j, "do_resize", true, where);
    if (const json* size = j.is_object() ? cj::member(j, "size") : nullptr; size && !size->is_null()) {
        const SizeDict s = size_dict(*size, "size", false, where);
        t.shortest_edge = s.shortest_edge;
        t.resize_height = s.height;
        t.resize_width = s.width;
    }
    t.resample = resample_of(j, where);
    t.center_crop = flag(j, "do_center_crop", true, where);
    if (const json* crop = j.is_object() ? cj::member(j, "crop_size") : nullptr; crop && !crop->is_null()) {
        const SizeDict s = size_dict(*crop, "crop_size", true, where);
        if (s.shortest_edge) fail(where, ": crop_size must give height and width");
        t.crop_height = s.height;
        t.crop_width = s.width;
    }
    t.rescale = flag(j, "do_rescale", true, where);
    if (const json* f = j.is_object() ? cj::member(j, "rescale_factor") : nullptr; f && !f->is_null())
        t.rescale_factor = cj::number(*f, where, "rescale_factor", -1e6, 1e6);
    t.normalize = flag(j, "do_normalize", true, where);
    mean = triple(j, "image_mean", mean, where);
    std_dev = triple(j, "image_std", std_dev, where);
    for (float s : std_dev)
        if (t.normalize && s == 0.0f) fail(where, ": image_std has a zero");
    return t;
}

// The pre-existing mapping onto open_clip's transform: the shortest side resized to the crop size
// and center-cropped with torchvision's rounding, or squashed to {height, width}.
PreprocessConfig open_clip_mapping(const TransformersImageSettings& t, const PreprocessConfig& base,
                                   const std::string& where) {
    PreprocessConfig p = base;
    if (!t.resize) fail(where, ": do_resize false cannot be run with open_clip's transform");
    if (!t.convert_rgb) fail(where, ": do_convert_rgb false cannot be run with open_clip's transform");
    if (t.center_crop) {
        const int target =
            t.shortest_edge ? t.shortest_edge : (t.resize_height == t.resize_width ? t.resize_height : -1);
        if (t.crop_height != t.crop_width || target != t.crop_height)
            fail(where, ": resize then crop to ", t.crop_height, "x", t.crop_width,
                 " cannot be run with open_clip's transform (it resizes the shortest side to the crop size)");
        p.height = p.width = t.crop_height;
        p.resize_mode = ResizeMode::Shortest;
    } else {
        if (t.shortest_edge) fail(where, ": shortest_edge without a center crop gives no fixed size");
        p.height = t.resize_height;
        p.width = t.resize_width;
        p.resize_mode = ResizeMode::Squash;
    }
    if (t.resample == Interpolation::Nearest)
        fail(where, ": resample NEAREST cannot be run with open_clip's transform");
    p.interpolation = t.resample;
    if (!t.rescale || std::abs(t.rescale_factor * 255.0 - 1.0) > 1e-6)
        fail(where, ": rescale other than 1/255 cannot be run with open_clip's transform");
    if (!t.normalize) {
        p.mean = {0.0f, 0.0f, 0.0f};
        p.std = {1.0f, 1.0f, 1.0f};
    }
    return p;
}

}  // namespace

PreprocessSemantics parse_preprocess_semantics(const std::string& name) {
    if (name == "open_clip") return PreprocessSemantics::OpenClip;
    if (name == "transformers") return PreprocessSemantics::Transformers;
    fail("--preprocess must be open_clip or transformers, not '", name, "'");
}

PreprocessConfig hf_clip_preprocess(const std::string& dir, const ClipConfig& config, PreprocessSemantics semantics) {
    std::string where;
    const json j = image_processor_json(fs::path(dir), where);
    PreprocessConfig p;  // OPENAI_CLIP_MEAN / STD are open_clip's OPENAI_DATASET_MEAN / STD
    p.height = config.vision.image_size;
    p.width = config.vision.image_width;
    TransformersImageSettings t = read_settings(j, where, p.mean, p.std);
    if (j.is_null()) {
        // Without a config, CLIPImageProcessor's 224 defaults only fit a 224 model; use the model's size.
        t.shortest_edge = config.vision.image_size;
        t.crop_height = config.vision.image_size;
        t.crop_width = config.vision.image_width;
    }
    if (semantics == PreprocessSemantics::OpenClip) return open_clip_mapping(t, p, where);
    p.semantics = PreprocessSemantics::Transformers;
    p.transformers = t;
    if (t.center_crop && (t.crop_height != p.height || t.crop_width != p.width))
        fail(where, ": crop_size ", t.crop_height, "x", t.crop_width, " but the model takes ", p.height, "x", p.width);
    if (!t.center_crop && t.resize && !t.shortest_edge && (t.resize_height != p.height || t.resize_width != p.width))
        fail(where, ": size ", t.resize_height, "x", t.resize_width, " but the model takes ", p.height, "x", p.width);
    return p;
}

PreprocessConfig transformers_equivalent(const PreprocessConfig& open_clip, const std::string& model) {
    if (open_clip.semantics == PreprocessSemantics::Transformers) return open_clip;
    if (open_clip.resize_mode != ResizeMode::Shortest || open_clip.height != open_clip.width)
        fail("--preprocess transformers: the preprocessing of '", model,
             "' (resize mode longest or squash, or a non-square size) has no CLIPImageProcessor equivalent");
    PreprocessConfig p = open_clip;
    p.semantics = PreprocessSemantics::Transformers;
    p.transformers.shortest_edge = open_clip.height;
    p.transformers.crop_height = p.transformers.crop_width = open_clip.height;
    p.transformers.resample = open_clip.interpolation;
    return p;
}

std::vector<std::string> describe_preprocess_settings(const PreprocessConfig& p) {
    std::vector<std::string> lines;
    std::ostringstream s;
    s.precision(9);
    auto line = [&] {
        lines.push_back(s.str());
        s.str("");
    };
    auto interpolation = [](Interpolation i) {
        return i == Interpolation::Nearest ? "nearest" : i == Interpolation::Bilinear ? "bilinear" : "bicubic";
    };
    s << "semantics: " << preprocess_semantics_name(p.semantics);
    line();
    s << "output: " << p.height << "x" << p.width << " (height x width)";
    line();
    if (p.semantics == PreprocessSemantics::Transformers) {
        const TransformersImageSettings& t = p.transformers;
        s << "do_convert_rgb: "
          << (t.convert_rgb ? "true (transparency composited on white, before resizing)" : "false");
        line();
        s << "do_resize: " << (t.resize ? "true" : "false");
        if (t.resize && t.shortest_edge) s << ", shortest_edge " << t.shortest_edge;
        if (t.resize && !t.shortest_edge) s << ", " << t.resize_height << "x" << t.resize_width;
        if (t.resize) s << ", resample " << interpolation(t.resample) << " (Pillow)";
        line();
        s << "do_center_crop: " << (t.center_crop ? "true" : "false");
        if (t.center_crop) s << ", " << t.crop_height << "x" << t.crop_width << " (offsets floored)";
        line();
        s << "do_rescale: " << (t.rescale ? "true" : "false");
        if (t.rescale) s << ", factor " << t.rescale_factor;
        line();
        s << "do_normalize: " << (t.normalize ? "true" : "false");
        line();
    } else {
        s << "resize: "
          << (p.resize_mode == ResizeMode::Shortest  ? "shortest side, center crop (torchvision rounding)"
              : p.resize_mode == ResizeMode::Longest ? "longest side, pad"
                                                     : "squash")
          << ", " << interpolation(p.interpolation) << " (Pillow), in the image's mode before converting to RGB";
        line();
        if (p.resize_mode == ResizeMode::Longest) {
            s << "fill: " << p.fill_color;
            line();
        }
    }
    s << "mean: " << p.mean[0] << ", " << p.mean[1] << ", " << p.mean[2];
    line();
    s << "std: " << p.std[0] << ", " << p.std[1] << ", " << p.std[2];
    line();
    return lines;
}

}  // namespace cliprt
