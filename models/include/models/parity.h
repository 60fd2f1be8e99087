// Golden cases (tests/goldens/<case>/manifest.json + expected.safetensors, made by
// tools/make_goldens.py with open_clip) run on a backend and compared with what open_clip computed.
#pragma once

#include <string>
#include <vector>

#include "cliprt/backend.h"

namespace cliprt {

struct ParityTolerance {
    double cosine_min = 0.99999;  // per row, every output
    double nmse = 1e-6;           // sum (a - b)^2 / sum b^2 over each output
};

struct ParityResult {
    std::string name;
    std::string backend;
    std::string dtype;
    double cosine_min = 0;
    double nmse = 0;
    double max_abs = 0;
    bool pass = false;
    double seconds = 0;  // model build + compile + run
    std::string error;   // set when the case could not run
};

// Case directories (those holding manifest.json) under `dir`, sorted by name; `dir` may be a case itself.
std::vector<std::string> find_golden_cases(const std::string& dir);
ParityResult run_golden_case(const std::string& case_dir, Backend& backend, const ParityTolerance& tolerance);
// The case's model on `backend` compared with the same model on `reference` (e.g. CUDA against
// Vulkan) rather than with the stored outputs.
ParityResult run_golden_case_against(const std::string& case_dir, Backend& backend, Backend& reference,
                                     const ParityTolerance& tolerance);

// Row-wise comparison of two tensors of the same shape (rows = last dimension).
struct Comparison {
    double cosine_min = 1;
    double nmse = 0;
    double max_abs = 0;
    bool finite = true;  // no NaN or Inf in `actual`
};
Comparison compare_tensors(const Tensor& actual, const Tensor& expected);

}  // namespace cliprt
