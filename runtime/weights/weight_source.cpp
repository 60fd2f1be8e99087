#include "cliprt/weight_source.h"

#include <algorithm>

#include "cliprt/error.h"
#include "cliprt/safetensors.h"
#include "cliprt/synthetic_weights.h"

namespace cliprt {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Buffers that checkpoints carry but that hold no weights a model needs.
bool is_weightless_buffer(const std::string& name) {
    return ends_with(name, "num_batches_tracked") || ends_with(name, "position_ids");
}

}  // namespace

Tensor WeightSource::get(const std::string& name, const Shape& expected) {
    if (!has(name)) fail("tensor '", name, "' is missing from ", describe());
    requested_.insert(name);
    Tensor tensor = load(name, expected);
    if (tensor.shape() != expected)
        fail("tensor '", name, "' in ", describe(), " has shape ", tensor.shape(), ", expected ", expected);
    if (tensor.dtype() == DType::F32) return tensor;
    if (tensor.dtype() != DType::F16 && tensor.dtype() != DType::BF16)
        fail("tensor '", name, "' in ", describe(), " is ", dtype_name(tensor.dtype()),
             ": weights must be F32, F16 or BF16");
    return tensor.to_f32();
}

std::vector<std::string> WeightSource::unused_names() const {
    std::vector<std::string> out;
    for (const std::string& name : all_names()) {
        if (!requested_.count(name) && !is_weightless_buffer(name)) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

SafetensorsWeights::SafetensorsWeights(std::vector<std::shared_ptr<SafetensorsFile>> files) : files_(std::move(files)) {
    for (const auto& file : files_) {
        if (!file) fail("SafetensorsWeights: null safetensors file");
    }
}

const SafetensorsFile* SafetensorsWeights::find(const std::string& name) const {
    for (const auto& file : files_) {
        if (file->contains(name)) return file.get();
    }
    return nullptr;
}

bool SafetensorsWeights::has(const std::string& name) const { return find(name) != nullptr; }

std::string SafetensorsWeights::describe() const {
    if (files_.empty()) return "no safetensors files";
    if (files_.size() == 1) return files_[0]->path();
    return std::to_string(files_.size()) + " files: " + files_[0]->path() + ", ...";
}

std::vector<std::string> SafetensorsWeights::all_names() const {
    std::vector<std::string> out;
    for (const auto& file : files_) {
        const std::vector<std::string> names = file->names();
        out.insert(out.end(), names.begin(), names.end());
    }
    return out;
}

Tensor SafetensorsWeights::load(const std::string& name, const Shape&) {
    const SafetensorsFile* file = find(name);
    if (!file) fail("tensor '", name, "' is missing from ", describe());
    return file->read(name);
}

Tensor SyntheticWeights::load(const std::string& name, const Shape& expected) {
    return synthetic_weight(name, expected);
}

}  // namespace cliprt
