// Where model builders get weights from: a checkpoint file or the deterministic generator.
//
// Builders ask for each tensor by its open_clip state-dict name and the shape the config implies;
// a missing tensor or a shape that disagrees is an Error naming the tensor. After building,
// unused_names() lists what the checkpoint had that the model did not use.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cliprt/tensor.h"

namespace cliprt {

class SafetensorsFile;

class WeightSource {
public:
    virtual ~WeightSource() = default;
    // The tensor converted to f32; throws Error if missing or of another shape.
    Tensor get(const std::string& name, const Shape& expected);
    virtual bool has(const std::string& name) const = 0;
    virtual std::string describe() const = 0;  // for error messages: a file path or "synthetic"
    // Names the source holds that were never requested (empty for generated weights).
    std::vector<std::string> unused_names() const;

protected:
    virtual std::vector<std::string> all_names() const = 0;
    // Returns the stored tensor (any float dtype); the base class checks shape and converts.
    virtual Tensor load(const std::string& name, const Shape& expected) = 0;

private:
    std::set<std::string> requested_;
};

// Tensors from one or more safetensors files (sharded checkpoints), looked up by name.
class SafetensorsWeights : public WeightSource {
public:
    explicit SafetensorsWeights(std::vector<std::shared_ptr<SafetensorsFile>> files);
    bool has(const std::string& name) const override;
    std::string describe() const override;

protected:
    std::vector<std::string> all_names() const override;
    Tensor load(const std::string& name, const Shape& expected) override;

private:
    const SafetensorsFile* find(const std::string& name) const;
    std::vector<std::shared_ptr<SafetensorsFile>> files_;
};

// Every tensor made by the deterministic generator (synthetic_weights.h).
class SyntheticWeights : public WeightSource {
public:
    bool has(const std::string&) const override { return true; }
    std::string describe() const override { return "synthetic weights"; }

protected:
    std::vector<std::string> all_names() const override { return {}; }
    Tensor load(const std::string& name, const Shape& expected) override;
};

}  // namespace cliprt
