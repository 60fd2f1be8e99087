// cliprt parity: run the open_clip golden cases on a backend and report how close they are.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cliprt/backends.h"
#include "commands.h"
#include "models/parity.h"

namespace cliprt::app {

namespace {

struct ParityOptions {
    std::string goldens = "tests/goldens";
    std::string backend = "cpu";
    std::string dtype = "f32";
    int device = -1;
    std::string against;  // compare with this backend instead of the stored outputs
    bool json = false;
};

}  // namespace

Command add_parity_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand("parity", "Compare a backend with the open_clip goldens");
    auto o = std::make_shared<ParityOptions>();
    cmd->add_option("--goldens", o->goldens, "Directory of golden cases (or one case)")->capture_default_str();
    cmd->add_option("--backend", o->backend, "cpu, vulkan, cuda or auto")->capture_default_str();
    cmd->add_option("--dtype", o->dtype, "f32 or f16")->capture_default_str();
    cmd->add_option("--device", o->device, "Device index of a GPU backend (-1: best)")->capture_default_str();
    cmd->add_option(
        "--against", o->against,
        "Compare with this backend's outputs (e.g. --backend cuda --against vulkan) instead of the goldens");
    cmd->add_flag("--json", o->json, "Print JSON");
    return [o] {
        BackendOptions options;
        options.dtype = parse_dtype(o->dtype);
        options.device = o->device;
        std::string note;
        auto backend = create_backend(o->backend, options, &note);
        if (!note.empty()) std::cerr << "cliprt: " << note << "\n";
        std::unique_ptr<Backend> reference;
        if (!o->against.empty()) {
            BackendOptions reference_options = options;
            if (o->against == "cpu" || o->against == "cpu-ref") reference_options.dtype = DType::F32;
            reference = create_backend(o->against, reference_options);
        }
        ParityTolerance tolerance;
        if (options.dtype == DType::F16) tolerance = ParityTolerance{0.999, 1e-3};
        if (options.dtype == DType::BF16) tolerance = ParityTolerance{0.999, 2e-3};
        int passed = 0, failed = 0;
        nlohmann::json cases = nlohmann::json::array();
        if (!o->json) {
            std::printf("%-36s %-14s %-5s %12s %12s %12s %8s %s\n", "case", "backend", "dtype", "cosine_min", "nmse",
                        "max_abs", "seconds", "result");
        }
        for (const std::string& dir : find_golden_cases(o->goldens)) {
            const ParityResult r = reference ? run_golden_case_against(dir, *backend, *reference, tolerance)
                                             : run_golden_case(dir, *backend, tolerance);
            (r.pass ? passed : failed)++;
            if (o->json) {
                nlohmann::json c{
                    {"name", r.name}, {"backend", r.backend}, {"dtype", r.dtype}, {"cosine_min", r.cosine_min},
                    {"nmse", r.nmse}, {"max_abs", r.max_abs}, {"pass", r.pass},   {"seconds", r.seconds}};
                if (!r.error.empty()) c["error"] = r.error;
                cases.push_back(c);
            } else {
                std::printf("%-36s %-14s %-5s %12.9f %12.3e %12.3e %8.2f %s\n", r.name.c_str(), r.backend.c_str(),
                            r.dtype.c_str(), r.cosine_min, r.nmse, r.max_abs, r.seconds, r.pass ? "pass" : "FAIL");
                if (!r.error.empty()) std::printf("    error: %s\n", r.error.c_str());
            }
        }
        if (o->json) {
            std::cout << nlohmann::json{{"cases", cases}, {"passed", passed}, {"failed", failed}}.dump(2) << "\n";
        } else {
            std::printf("%d passed, %d failed\n", passed, failed);
        }
        return failed == 0 ? 0 : 1;
    };
}

}  // namespace cliprt::app
