#include "models/parity.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cliprt/error.h"
#include "cliprt/safetensors.h"
#include "cliprt/synthetic_weights.h"
#include "cliprt/weight_source.h"
#include "models/clip_model.h"
#include "models/model_loader.h"

namespace cliprt {

namespace fs = std::filesystem;

namespace {

// A synthetic-weights case from tools/make_goldens.py, or a checkpoint directory with expected.safetensors.
bool is_case(const fs::path& dir) {
    return fs::exists(dir / "manifest.json") || fs::exists(dir / "expected.safetensors");
}

}  // namespace

std::vector<std::string> find_golden_cases(const std::string& dir) {
    if (!fs::is_directory(dir)) fail("golden directory '", dir, "' does not exist");
    if (is_case(dir)) return {dir};
    std::vector<std::string> cases;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_directory() && is_case(entry.path())) cases.push_back(entry.path().string());
    }
    std::sort(cases.begin(), cases.end());
    if (cases.empty())
        fail("no golden cases (directories with manifest.json or expected.safetensors) under '", dir, "'");
    return cases;
}

Comparison compare_tensors(const Tensor& actual, const Tensor& expected) {
    if (actual.shape() != expected.shape())
        fail("output shape ", actual.shape(), " differs from expected ", expected.shape());
    const Tensor a = actual.to_f32(), b = expected.to_f32();
    const int64_t n = a.numel();
    const int64_t cols = a.shape().rank() ? a.shape()[-1] : 1;
    Comparison c;
    double err = 0, ref = 0;
    for (int64_t row = 0; cols > 0 && row < n / cols; ++row) {
        double dot = 0, na = 0, nb = 0;
        for (int64_t i = row * cols; i < (row + 1) * cols; ++i) {
            const double x = a.f32()[i], y = b.f32()[i];
            if (!std::isfinite(x)) c.finite = false;
            dot += x * y;
            na += x * x;
            nb += y * y;
            err += (x - y) * (x - y);
            ref += y * y;
            c.max_abs = std::max(c.max_abs, std::abs(x - y));
        }
        const double cosine = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
        c.cosine_min = std::min(c.cosine_min, cosine);
    }
    c.nmse = ref > 0 ? err / ref : err;
    if (!c.finite) {
        c.cosine_min = 0;
        c.nmse = INFINITY;
    }
    return c;
}

namespace {

nlohmann::json read_json(const fs::path& path) {
    std::ifstream in(path);
    if (!in) fail("cannot open ", path.string());
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        fail(path.string(), ": invalid JSON: ", e.what());
    }
}

Tensor image_input(const nlohmann::json& spec) {
    const Shape shape(spec.at("shape").get<std::vector<int64_t>>());
    return synthetic_tensor(spec.at("generator").get<std::string>(), shape, spec.at("center").get<double>(),
                            spec.at("scale").get<double>());
}

}  // namespace

namespace {

void add_comparison(ParityResult& result, const Comparison& c) {
    result.cosine_min = std::min(result.cosine_min, c.cosine_min);
    result.nmse = std::max(result.nmse, c.nmse);
    result.max_abs = std::max(result.max_abs, c.max_abs);
}

// What a case's model computed on a backend, next to what the library computed.
struct CaseOutputs {
    std::vector<std::string> names;
    std::vector<Tensor> actual, expected;
    void add(const std::string& name, Tensor a, Tensor e) {
        names.push_back(name);
        actual.push_back(std::move(a));
        expected.push_back(std::move(e));
    }
};

// A model directory as a library saved it, with the library's own outputs in expected.safetensors
// (tools/make_checkpoint_fixtures.py): pixel_values -> image_features, input_ids -> text_features.
CaseOutputs run_checkpoint_case(const std::string& case_dir, Backend& backend) {
    ClipSession session(load_clip_model(case_dir, ""), backend);
    auto expected = SafetensorsFile::open((fs::path(case_dir) / "expected.safetensors").string());
    CaseOutputs out;
    out.add("image_features", session.encode_image(expected->read("pixel_values"), false),
            expected->read("image_features"));
    out.add("text_features", session.encode_text(expected->read("input_ids"), false), expected->read("text_features"));
    return out;
}

// A case of tools/make_goldens.py: a model_cfg filled with synthetic weights, inputs from the
// generator or stored token ids, open_clip's outputs.
CaseOutputs run_synthetic_case(const std::string& case_dir, Backend& backend, ParityResult& result) {
    const fs::path manifest_path = fs::path(case_dir) / "manifest.json";
    const nlohmann::json manifest = read_json(manifest_path);
    if (manifest.contains("name")) result.name = manifest["name"].get<std::string>();
    ClipConfig config = parse_model_config(manifest.at("model_cfg").dump(), manifest_path.string());
    ClipSession session(std::make_shared<ClipModel>(config, std::make_shared<SyntheticWeights>()), backend);
    auto expected = SafetensorsFile::open((fs::path(case_dir) / "expected.safetensors").string());

    const nlohmann::json& inputs = manifest.at("inputs");
    Tensor image, text;
    if (inputs.contains("image")) image = image_input(inputs["image"]);
    if (inputs.contains("text")) {
        text = expected->read(inputs["text"].at("tensor").get<std::string>());
        if (text.dtype() != DType::I32) text = text.to_f32().to_dtype(DType::I32);
    }
    Tensor image_features, text_features;
    CaseOutputs out;
    for (auto it = manifest.at("outputs").begin(); it != manifest.at("outputs").end(); ++it) {
        const std::string& name = it.key();
        const bool normalized = it.value().value("normalized", false);
        Tensor actual;
        if (name == "image_features") {
            actual = session.encode_image(image, normalized);
            image_features = normalized ? session.encode_image(image, false) : actual;
        } else if (name == "text_features") {
            actual = session.encode_text(text, normalized);
            text_features = normalized ? session.encode_text(text, false) : actual;
        } else if (name == "logits") {
            if (image_features.shape().rank() == 0) image_features = session.encode_image(image, false);
            if (text_features.shape().rank() == 0) text_features = session.encode_text(text, false);
            actual = session.logits(image_features, text_features);
        } else {
            fail(manifest_path.string(), ": unknown output '", name, "'");
        }
        out.add(name, std::move(actual), expected->read(name));
    }
    return out;
}

CaseOutputs run_case(const std::string& case_dir, Backend& backend, ParityResult& result) {
    if (fs::exists(fs::path(case_dir) / "manifest.json")) return run_synthetic_case(case_dir, backend, result);
    return run_checkpoint_case(case_dir, backend);
}

ParityResult new_result(const std::string& case_dir, const Backend& backend) {
    ParityResult result;
    result.name = fs::path(case_dir).filename().string();
    result.backend = backend.name();
    result.dtype = dtype_name(backend.float_storage_dtype());
    result.cosine_min = 1;
    return result;
}

// Runs `body` and fills pass, error and seconds around it.
template <typename Body>
ParityResult timed(ParityResult result, const ParityTolerance& tolerance, Body body) {
    const auto start = std::chrono::steady_clock::now();
    try {
        body(result);
        result.pass = result.cosine_min >= tolerance.cosine_min && result.nmse <= tolerance.nmse;
    } catch (const std::exception& e) {
        result.error = e.what();
        result.pass = false;
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace

ParityResult run_golden_case(const std::string& case_dir, Backend& backend, const ParityTolerance& tolerance) {
    return timed(new_result(case_dir, backend), tolerance, [&](ParityResult& result) {
        const CaseOutputs out = run_case(case_dir, backend, result);
        for (size_t i = 0; i < out.names.size(); ++i)
            add_comparison(result, compare_tensors(out.actual[i], out.expected[i]));
    });
}

ParityResult run_golden_case_against(const std::string& case_dir, Backend& backend, Backend& reference,
                                     const ParityTolerance& tolerance) {
    ParityResult start = new_result(case_dir, backend);
    start.backend += " vs " + reference.name();
    return timed(start, tolerance, [&](ParityResult& result) {
        const CaseOutputs out = run_case(case_dir, backend, result);
        const CaseOutputs ref = run_case(case_dir, reference, result);
        for (size_t i = 0; i < out.names.size(); ++i)
            add_comparison(result, compare_tensors(out.actual[i], ref.actual[i]));
    });
}

}  // namespace cliprt
