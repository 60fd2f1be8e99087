// The backends under test of the two parity suites, op_parity_test.cpp (every op case of
// op_parity_cases.h against the CPU oracle) and golden_parity_test.cpp (every open_clip golden
// case), with the configurations each backend is tested in: storage dtype and kernel variant.
//
// To put a backend under test: add a ParityBackend to make_parity_backends() below with its
// configurations and a `shared` factory, then one INSTANTIATE_TEST_SUITE_P line in each suite
// naming it (docs/ARCHITECTURE.md, "How parity is tested"). Backend-specific contract tests stay
// in that backend's own test file.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cliprt/backends.h"
#include "cliprt/cpu_backend.h"
#include "cliprt/cuda_module.h"
#include "cliprt/dtype.h"
#include "cliprt/error.h"
#include "cpu_fast/cpu_fast_backend.h"
#include "cpu_fast/cpu_fast_kernels.h"
#include "models/parity.h"
#include "op_parity_cases.h"
#if defined(CLIPRT_TEST_VULKAN)
#include "vulkan_test_support.h"
#endif

namespace cliprt::parity_test {

// One configuration of a backend under test.
struct ParityConfig {
    std::string backend;  // the ParityBackend's name
    DType dtype = DType::F32;
    std::string variant;              // kernel variant, "" where the backend has one
    bool small_goldens_only = false;  // full-size golden cases run only in the backend's default variant
};

inline void PrintTo(const ParityConfig& c, std::ostream* out) {
    *out << c.backend << "/" << dtype_name(c.dtype) << (c.variant.empty() ? "" : "/") << c.variant;
}

struct ParityBackend {
    std::string name;  // "cpu-ref", "cpu", "vulkan", "cuda"
    std::string
        unavailable_prefix;  // before the reason it is unavailable (ctest's cuda entry skips on "no CUDA device")
    std::vector<ParityConfig> op_configs;
    std::vector<ParityConfig> golden_configs;
    // The backend of a configuration, created once and shared by every case; null with *why set
    // when this machine cannot run it.
    std::function<Backend*(const ParityConfig&, std::string* why)> shared;
    // Checks after every case, and the reset before it (Vulkan: no validation message).
    std::function<void(Backend&)> before_each = [](Backend&) {};
    std::function<void(Backend&)> after_each = [](Backend&) {};
    // Fail instead of skip when the backend is unavailable (CLIPRT_REQUIRE_VULKAN=1).
    std::function<bool()> unavailable_fails = [] { return false; };
    // Op cases for paths only this backend has, run after the shared ones.
    std::vector<op_parity::OpCase> extra_cases;
    // The op NMSE limit and the golden tolerance of a configuration: by storage dtype unless the
    // backend's contract says otherwise (never looser than its numerics justify).
    std::function<double(const ParityConfig&, op_parity::Family)> nmse_limit =
        [](const ParityConfig& c, op_parity::Family f) { return op_parity::nmse_limit(f, c.dtype); };
    std::function<ParityTolerance(const ParityConfig&)> golden_tolerance = [](const ParityConfig& c) {
        return c.dtype == DType::F16 ? ParityTolerance{0.999, 2e-3} : ParityTolerance{};
    };
};

// ---- CUDA: reached through the module loader, as cliprt reaches it ----

// Why the CUDA tests cannot run on this machine; empty when they can.
inline const std::string& cuda_unavailable_reason() {
    static const std::string reason = cuda_module_status().unavailable_reason();
    return reason;
}

inline std::unique_ptr<Backend> make_cuda(DType dtype) {
    BackendOptions options;
    options.dtype = dtype;
    return create_backend("cuda", options);
}

// One backend per storage dtype (a CUDA context is slow to create), destroyed before exit while
// the CUDA libraries are still loaded.
inline std::map<DType, std::unique_ptr<Backend>>& shared_cuda_backends() {
    static std::map<DType, std::unique_ptr<Backend>> backends;
    return backends;
}
class SharedCudaBackendsEnvironment : public ::testing::Environment {
public:
    void TearDown() override { shared_cuda_backends().clear(); }
};
inline ::testing::Environment* const shared_cuda_backends_environment =
    ::testing::AddGlobalTestEnvironment(new SharedCudaBackendsEnvironment);

inline Backend& shared_cuda(DType dtype) {
    std::unique_ptr<Backend>& backend = shared_cuda_backends()[dtype];
    if (!backend) backend = make_cuda(dtype);
    return *backend;
}

// Paths of the CUDA backend that the shared cases do not reach.
inline std::vector<op_parity::OpCase> cuda_only_cases() {
    using op_parity::Data;
    using op_parity::Family;
    using op_parity::OpCase;
    const auto linear = [](const std::string& name, bool bias, Activation act, bool residual) {
        return OpCase{name, Family::Matmul, [=](Graph& g, Data& d) {
                          const ValueId x = d.input(g, "x", Shape{2, 7, 64});
                          const ValueId b = bias ? d.constant(g, "b", Shape{96}) : -1;
                          const ValueId r = residual ? d.input(g, "r", Shape{2, 7, 96}) : -1;
                          g.mark_output(g.linear(x, d.constant(g, "w", Shape{96, 64}, 0.25f), b, act, r));
                      }};
    };
    const auto attention = [](const std::string& name, int64_t len, int64_t dim, bool causal, bool head_scale) {
        return OpCase{name, Family::Matmul, [=](Graph& g, Data& d) {
                          AttentionParams p;
                          p.heads = 2;
                          p.packed_qkv = true;
                          p.causal = causal;
                          p.has_head_scale = head_scale;
                          p.scale = 1.0f / std::sqrt(static_cast<float>(dim));
                          std::vector<ValueId> inputs{d.input(g, "qkv", Shape{2, len, 3 * 2 * dim})};
                          if (head_scale) inputs.push_back(d.constant(g, "head_scale", Shape{2}));
                          g.mark_output(g.attention(inputs, p));
                      }};
    };
    return {
        // cuBLASLt's GELU epilogue (tanh approximation), with and without the bias epilogue.
        linear("cuda_linear_gelu_tanh_bias_epilogue", true, Activation::GeluTanh, false),
        linear("cuda_linear_gelu_tanh_epilogue", false, Activation::GeluTanh, false),
        // With a residual the activation runs as a kernel after the matmul instead.
        linear("cuda_linear_gelu_tanh_residual", true, Activation::GeluTanh, true),
        linear("cuda_linear_sigmoid_residual", true, Activation::Sigmoid, true),
        // 3 and 4 accumulators per lane (head dims 80 and 128, the kernel's maximum).
        attention("cuda_attention_head_dim_80", 20, 80, false, false),
        attention("cuda_attention_causal_head_dim_128", 40, 128, true, true),
        {"cuda_conv2d_patchify_16x16", Family::Matmul,
         [](Graph& g, Data& d) {
             Conv2dParams p;
             p.stride_h = p.stride_w = 16;
             const ValueId x = d.input(g, "x", Shape{2, 3, 32, 48});
             g.mark_output(g.conv2d(x, d.constant(g, "w", Shape{70, 3, 16, 16}, 0.05f), -1, p));
         }},
    };
}

// ---- the registry ----

inline std::vector<ParityBackend> make_parity_backends() {
    std::vector<ParityBackend> out;

    // The oracle itself against open_clip (its ops are checked against PyTorch in cpu_ops_test.cpp).
    ParityBackend cpu_ref;
    cpu_ref.name = "cpu-ref";
    cpu_ref.golden_configs = {{"cpu-ref", DType::F32, ""}};
    cpu_ref.shared = [](const ParityConfig&, std::string*) -> Backend* {
        static const std::unique_ptr<Backend> backend = make_cpu_ref_backend();
        return backend.get();
    };
    out.push_back(std::move(cpu_ref));

    // The fast `cpu` on every instruction-set path this processor can run (lower ones forced),
    // with f32 and bf16 weights: variant "<isa>_<weights>"; avx512_bf16 runs the default bf16 path
    // (AMX tiles where usable, else widened to f32), avx512_bf16dot the AVX512_BF16 dot products
    // and, with AMX, avx512_bf16wide the widening path. bf16 keeps 8 significant
    // bits where f16 keeps 11: its unit roundoff is 8 times f16's. So the matmul family (whose
    // products see the rounded weights and, with AVX512_BF16 or AMX, rounded activations) gets 8
    // times the f16 limit; every other op runs in f32 and keeps the f32 limits. bf16 goldens:
    // cosine >= 0.999, NMSE <= 2e-3.
    ParityBackend cpu;
    cpu.name = "cpu";
    for (cpu_fast::Isa isa : {cpu_fast::Isa::Avx512, cpu_fast::Isa::Avx2, cpu_fast::Isa::Portable}) {
        std::vector<std::string> weights = {"f32", "bf16"};
        if (isa == cpu_fast::Isa::Avx512 && cpu_fast::cpu_has_avx512_bf16()) weights.push_back("bf16dot");
        if (isa == cpu_fast::Isa::Avx512 && cpu_fast::amx_usable()) weights.push_back("bf16wide");
        for (const std::string& w : weights) {
            cpu.op_configs.push_back({"cpu", DType::F32, std::string(cpu_fast::isa_name(isa)) + "_" + w});
        }
    }
    cpu.golden_configs = cpu.op_configs;
    cpu.shared = [](const ParityConfig& c, std::string* why) -> Backend* {
        static std::map<std::string, std::unique_ptr<Backend>> backends;
        for (cpu_fast::Isa isa : {cpu_fast::Isa::Avx512, cpu_fast::Isa::Avx2, cpu_fast::Isa::Portable}) {
            const std::string name = cpu_fast::isa_name(isa);
            if (c.variant.rfind(name + "_", 0) != 0) continue;
            if (static_cast<int>(isa) > static_cast<int>(cpu_fast::detected_isa())) {
                *why = "this processor has no " + name;
                return nullptr;
            }
            std::unique_ptr<Backend>& backend = backends[c.variant];
            const std::string w = c.variant.substr(name.size() + 1);
            const DType weights = w == "f32" ? DType::F32 : DType::BF16;
            const cpu_fast::Bf16Path path = w == "bf16dot"    ? cpu_fast::Bf16Path::DotProducts
                                            : w == "bf16wide" ? cpu_fast::Bf16Path::Widened
                                                              : cpu_fast::default_bf16_path();
            if (!backend) backend = std::make_unique<cpu_fast::FastCpuBackend>(2, isa, weights, path);
            return backend.get();
        }
        throw Error("no cpu variant '" + c.variant + "'");
    };
    const auto bf16 = [](const ParityConfig& c) { return c.variant.find("_bf16") != std::string::npos; };
    cpu.nmse_limit = [bf16](const ParityConfig& c, op_parity::Family f) {
        if (bf16(c) && f == op_parity::Family::Matmul) return 8 * op_parity::nmse_limit(f, DType::F16);
        return op_parity::nmse_limit(f, DType::F32);
    };
    cpu.golden_tolerance = [bf16](const ParityConfig& c) {
        return bf16(c) ? ParityTolerance{0.999, 2e-3} : ParityTolerance{};
    };
    out.push_back(std::move(cpu));

#if defined(CLIPRT_TEST_VULKAN)  // not in the sanitizer tree, which is built without Vulkan
    // Vulkan with the validation layer on, in every kernel style ("cpu": register blocks fed by
    // texel-buffer loads, "registers": the same fed by storage-buffer loads, "gpu": shared-memory
    // tiles; each runs on any device), with subgroup reductions where the device has them and,
    // "-no-subgroups", with the per-invocation (cpu) and shared-memory (gpu) reductions; goldens
    // with the kernels the device picks ("auto").
    ParityBackend vulkan;
    vulkan.name = "vulkan";
    vulkan.unavailable_prefix = "no Vulkan device: ";
    vulkan.op_configs = {{"vulkan", DType::F32, "cpu"},
                         {"vulkan", DType::F32, "cpu-no-subgroups"},
                         {"vulkan", DType::F32, "registers"},
                         {"vulkan", DType::F32, "gpu"},
                         {"vulkan", DType::F32, "gpu-no-subgroups"},
                         {"vulkan", DType::F16, "cpu"},
                         {"vulkan", DType::F16, "cpu-no-subgroups"},
                         {"vulkan", DType::F16, "gpu"},
                         {"vulkan", DType::F16, "gpu-no-subgroups"}};
    vulkan.golden_configs = {{"vulkan", DType::F32, "auto"},
                             {"vulkan", DType::F16, "auto"},
                             {"vulkan", DType::F32, "gpu", /*small_goldens_only=*/true}};
    vulkan.shared = [](const ParityConfig& c, std::string* why) -> Backend* {
        return vulkan_test::shared_backend(c.dtype, c.variant, why);
    };
    vulkan.before_each = [](Backend& b) { dynamic_cast<VulkanBackend&>(b).clear_validation_messages(); };
    vulkan.after_each = [](Backend& b) { vulkan_test::expect_no_validation_messages(dynamic_cast<VulkanBackend&>(b)); };
    vulkan.unavailable_fails = vulkan_test::vulkan_required;
    out.push_back(std::move(vulkan));
#endif

    ParityBackend cuda;
    cuda.name = "cuda";
    cuda.unavailable_prefix = "no CUDA device: ";
    cuda.op_configs = {{"cuda", DType::F32, ""}, {"cuda", DType::F16, ""}};
    cuda.golden_configs = cuda.op_configs;
    cuda.shared = [](const ParityConfig& c, std::string* why) -> Backend* {
        *why = cuda_unavailable_reason();
        return why->empty() ? &shared_cuda(c.dtype) : nullptr;
    };
    cuda.extra_cases = cuda_only_cases();
    out.push_back(std::move(cuda));
    return out;
}

inline const ParityBackend& parity_backend(const std::string& name) {
    static const std::vector<ParityBackend> backends = make_parity_backends();
    for (const ParityBackend& b : backends) {
        if (b.name == name) return b;
    }
    throw Error("no parity backend '" + name + "'");
}

// The op cases a backend runs: the shared table, then its own.
inline const std::vector<op_parity::OpCase>& op_cases(const std::string& backend) {
    static std::map<std::string, std::vector<op_parity::OpCase>> cases;
    auto [it, inserted] = cases.try_emplace(backend);
    if (inserted) {
        it->second = op_parity::cases();
        for (const op_parity::OpCase& c : parity_backend(backend).extra_cases) it->second.push_back(c);
    }
    return it->second;
}

// A gtest parameter name: anything but letters and digits becomes '_'.
inline std::string test_name(std::string name) {
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
}

inline std::string config_name(const ParityConfig& c) {
    return std::string(dtype_name(c.dtype)) + (c.variant.empty() ? "" : "_" + c.variant);
}

// Ends the test when the backend is unavailable: skipped with the reason, or failed where required.
#define CLIPRT_PARITY_BACKEND_OR_SKIP(backend, entry, config)                                                         \
    std::string cliprt_parity_why_;                                                                                   \
    ::cliprt::Backend* backend = (entry).shared((config), &cliprt_parity_why_);                                       \
    if (!backend) {                                                                                                   \
        if ((entry).unavailable_fails()) FAIL() << (entry).unavailable_prefix << cliprt_parity_why_ << " (required)"; \
        GTEST_SKIP() << (entry).unavailable_prefix << cliprt_parity_why_;                                             \
    }                                                                                                                 \
    (entry).before_each(*backend)

}  // namespace cliprt::parity_test
