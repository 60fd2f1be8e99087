#include "cliprt/backends.h"

#include "cliprt/cpu_backend.h"
#include "cliprt/cuda_module.h"
#include "cliprt/error.h"
#ifdef CLIPRT_HAVE_VULKAN
#include "cliprt/vulkan_backend.h"
#endif

namespace cliprt {

namespace {

#ifdef CLIPRT_HAVE_VULKAN
VulkanOptions vulkan_options(const BackendOptions& options) {
    VulkanOptions v;
    v.device = options.device;
    v.dtype = options.dtype;
    return v;
}

BackendStatus vulkan_status() {
    BackendStatus s;
    s.name = "vulkan";
    try {
        s.devices = vulkan_devices();
        for (const DeviceInfo& d : s.devices) {
            bool usable = true;
            for (const auto& [key, value] : d.details) usable = usable && key != "unusable";
            s.available = s.available || usable;
        }
        if (s.devices.empty())
            s.reason = "no Vulkan device found";
        else if (!s.available)
            s.reason = "no device supports what cliprt needs";
    } catch (const Error& e) {
        s.reason = e.what();
    }
    return s;
}
#endif

}  // namespace

// auto: a CUDA device, else a Vulkan GPU, else the CPU backend; `note` says why the earlier choices
// were passed over. A Vulkan device that is itself a CPU (lavapipe) is passed over, except for f16:
// `cliprt bench` measures the CPU backend faster there (bf16 weights run on `cpu`).
static std::unique_ptr<Backend> create_auto_backend(const BackendOptions& options, std::string* note) {
    std::string reasons;
    try {
        return create_cuda_backend(options);
    } catch (const Error& e) {
        reasons = std::string("cuda: ") + e.what();
    }
#ifdef CLIPRT_HAVE_VULKAN
    try {
        auto backend = make_vulkan_backend(vulkan_options(options));
        const DeviceInfo& device = backend->device_info();
        if (device.type != "cpu" || options.dtype == DType::F16) {  // the CPU backends have no f16
            if (note) *note = "using the vulkan backend on " + device.name + " (" + reasons + ")";
            return backend;
        }
        reasons += "; vulkan: " + device.name + " is a CPU device (use --backend vulkan to run it anyway)";
    } catch (const Error& e) {
        reasons += std::string("; vulkan: ") + e.what();
    }
#else
    reasons += "; vulkan: not built into this cliprt";
#endif
    if (options.dtype != DType::F32 && options.dtype != DType::BF16)
        fail("no GPU backend for ", dtype_name(options.dtype), " (", reasons, ")");
    if (note) *note = "using the cpu backend (" + reasons + ")";
    return make_cpu_backend(options.threads, options.dtype);
}

std::unique_ptr<Backend> create_backend(const std::string& name, const BackendOptions& options, std::string* note) {
    if (name == "auto") return create_auto_backend(options, note);
    if (name == "cpu") {
        if (options.dtype != DType::F32 && options.dtype != DType::BF16)
            fail("the cpu backend runs f32 or bf16 weights (asked for ", dtype_name(options.dtype), ")");
        return make_cpu_backend(options.threads, options.dtype);
    }
    if (name == "cpu-ref") {
        if (options.dtype != DType::F32)
            fail("the cpu-ref backend computes in f32 only (asked for ", dtype_name(options.dtype), ")");
        return make_cpu_ref_backend(options.threads);
    }
#ifdef CLIPRT_HAVE_VULKAN
    if (name == "vulkan") return make_vulkan_backend(vulkan_options(options));
#endif
    if (name == "cuda") return create_cuda_backend(options);
    if (name == "vulkan") fail("the ", name, " backend is not built into this cliprt");
    fail("unknown backend '", name, "' (expected cpu, cpu-ref, vulkan, cuda or auto)");
}

std::vector<BackendStatus> backend_statuses() {
    std::vector<BackendStatus> out;
    BackendStatus cpu;
    cpu.name = "cpu";
    cpu.available = true;
    cpu.devices.push_back(make_cpu_backend()->device_info());
    out.push_back(std::move(cpu));
    BackendStatus cpu_ref;
    cpu_ref.name = "cpu-ref";
    cpu_ref.available = true;
    cpu_ref.devices.push_back(make_cpu_ref_backend()->device_info());
    out.push_back(std::move(cpu_ref));
#ifdef CLIPRT_HAVE_VULKAN
    out.push_back(vulkan_status());
#else
    BackendStatus vulkan;
    vulkan.name = "vulkan";
    vulkan.reason = "not built into this cliprt";
    out.push_back(std::move(vulkan));
#endif
    out.push_back(cuda_backend_status());
    return out;
}

StartupStats startup_stats(const Backend& backend) {
    StartupStats s;
#ifdef CLIPRT_HAVE_VULKAN
    if (const auto* vulkan = dynamic_cast<const VulkanBackend*>(&backend)) {
        const VulkanPipelineStats p = vulkan->pipeline_stats();
        s.pipelines = p.pipelines;
        s.pipeline_seconds = p.seconds;
        s.pipeline_cache = p.cache;
        s.pipeline_cache_detail = p.cache_detail;
        s.pipeline_cache_hits = p.cache_hits;
    }
#else
    (void)backend;
#endif
    return s;
}

}  // namespace cliprt
