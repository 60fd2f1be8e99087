// The Vulkan backend's own contract: device facts, device selection and its errors, "auto" falling
// back to the CPU, the on-disk pipeline cache and its header checks, staging transfers, one submit
// per forward with barriers only between dependent dispatches, and that validation messages are
// really caught (a test that could never fail on them would prove nothing), and `cliprt parity
// --against` comparing the model on Vulkan with the CPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "cliprt/backends.h"
#include "cliprt/cpu_backend.h"
#include "cliprt/executor.h"
#include "models/parity.h"
#include "vulkan/vulkan_device.h"
#include "vulkan/vulkan_program.h"
#include "vulkan_test_support.h"

namespace cliprt {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (old_.empty())
            unsetenv(name_);
        else
            setenv(name_, old_.c_str(), 1);
    }

private:
    const char* name_;
    std::string old_;
};

Tensor uniform(const Shape& shape, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> values(static_cast<size_t>(shape.numel()));
    for (float& v : values) v = dist(rng);
    return Tensor::from_f32(shape, std::move(values));
}

// x -> (relu, sigmoid) -> add -> linear: two independent dispatches, then two dependent ones.
std::shared_ptr<Graph> diamond_graph() {
    auto g = std::make_shared<Graph>();
    const ValueId x = g->add_input("x", Shape{3, 16}, DType::F32);
    const ValueId a = g->unary(x, Activation::Relu);
    const ValueId b = g->unary(x, Activation::Sigmoid);
    const ValueId sum = g->binary(BinaryOp::Add, a, b);
    g->mark_output(g->linear(sum, g->add_constant("w", uniform(Shape{5, 16}, 3))));
    return g;
}

std::string temp_path(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("cliprt_vulkan_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return (dir / name).string();
}

TEST(VulkanBackend, DescribesTheDevice) {
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, DType::F32, "cpu");
    const DeviceInfo info = backend->device_info();
    EXPECT_EQ(info.backend, "vulkan");
    EXPECT_FALSE(info.name.empty());
    EXPECT_FALSE(info.type.empty());
    EXPECT_GT(info.memory_bytes, 0u);
    std::set<std::string> keys;
    for (const auto& [key, value] : info.details) keys.insert(key);
    for (const char* key : {"subgroup size", "shared memory", "shader float16", "storage buffer 16-bit", "kernels"})
        EXPECT_TRUE(keys.count(key)) << "missing detail: " << key;
    const std::vector<DeviceInfo> devices = vulkan_devices();
    ASSERT_FALSE(devices.empty());
    bool found = false;
    for (const BackendStatus& s : backend_statuses()) {
        if (s.name == "vulkan") {
            found = true;
            EXPECT_TRUE(s.available) << s.reason;
            EXPECT_EQ(s.devices.size(), devices.size());
        }
    }
    EXPECT_TRUE(found);
}

// Subgroup reductions are the default where the device reports subgroup arithmetic in compute
// shaders (lavapipe: subgroups of 8), and VulkanOptions::subgroups = false turns them off.
TEST(VulkanBackend, SubgroupReductionsWhereTheDeviceHasThem) {
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, DType::F32, "cpu");
    std::string why;
    VulkanBackend* plain = vulkan_test::shared_backend(DType::F32, "cpu-no-subgroups", &why);
    ASSERT_NE(plain, nullptr) << why;
    auto detail = [](const DeviceInfo& info, const std::string& key) {
        for (const auto& [k, v] : info.details) {
            if (k == key) return v;
        }
        return std::string();
    };
    const DeviceInfo info = backend->device_info();
    const std::string arithmetic = detail(info, "subgroup arithmetic");
    ASSERT_TRUE(arithmetic == "yes" || arithmetic == "no") << arithmetic;
    EXPECT_EQ(detail(info, "kernels").find("subgroup reductions") != std::string::npos, arithmetic == "yes")
        << detail(info, "kernels");
    EXPECT_EQ(detail(plain->device_info(), "kernels").find("subgroup"), std::string::npos)
        << detail(plain->device_info(), "kernels");
}

TEST(VulkanBackend, DeviceSelectionErrorsAreClear) {
    std::string why;
    if (!vulkan_test::shared_backend(DType::F32, "cpu", &why)) CLIPRT_VULKAN_UNAVAILABLE(why);
    VulkanOptions options;
    options.device = 99;
    options.pipeline_cache = "";
    try {
        make_vulkan_backend(options);
        ADD_FAILURE() << "device 99 was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("--device 99 is out of range"), std::string::npos) << e.what();
    }
    {
        ScopedEnv env("CLIPRT_VULKAN_DEVICE", "42");
        options.device = -1;
        try {
            make_vulkan_backend(options);
            ADD_FAILURE() << "CLIPRT_VULKAN_DEVICE=42 was accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("CLIPRT_VULKAN_DEVICE 42 is out of range"), std::string::npos)
                << e.what();
        }
        // "auto" falls back to the CPU and says why.
        std::string note;
        auto fallback = create_backend("auto", BackendOptions{}, &note);
        EXPECT_EQ(fallback->name(), "cpu");
        EXPECT_NE(note.find("CLIPRT_VULKAN_DEVICE"), std::string::npos) << note;
    }
    options.device = 0;
    EXPECT_EQ(make_vulkan_backend(options)->name(), "vulkan");
    // "auto" takes a Vulkan GPU, but passes over a Vulkan device that is a CPU (lavapipe) for the
    // CPU backend, except for f16, which only the Vulkan backend computes (bf16 stays on the CPU).
    std::string note;
    auto chosen = create_backend("auto", BackendOptions{}, &note);
    if (make_vulkan_backend(options)->device_info().type == "cpu") {
        EXPECT_EQ(chosen->name(), "cpu");
        EXPECT_NE(note.find("is a CPU device"), std::string::npos) << note;
        BackendOptions f16;
        f16.dtype = DType::F16;
        EXPECT_EQ(create_backend("auto", f16)->name(), "vulkan");
        BackendOptions bf16;  // bf16 weights: the fast CPU backend has them
        bf16.dtype = DType::BF16;
        EXPECT_EQ(create_backend("auto", bf16)->name(), "cpu");
    } else {
        EXPECT_EQ(chosen->name(), "vulkan");
    }
}

TEST(VulkanBackend, OneSubmitAndBarriersOnlyBetweenDependentDispatches) {
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, DType::F32, "cpu");
    WeightCache weights(*backend);
    CompiledGraph compiled(diamond_graph(), *backend, weights);
    compiled.run({uniform(Shape{3, 16}, 1)});
    const Program& program = compiled.program();
    EXPECT_EQ(program.dispatch_count(), 4);
    EXPECT_EQ(program.submit_count(), 1);
    const auto* vulkan_program = dynamic_cast<const vk::VulkanProgram*>(&program);
    ASSERT_NE(vulkan_program, nullptr);
    EXPECT_EQ(vulkan_program->barrier_count(), 2) << "relu and sigmoid are independent; add and linear each wait";
    vulkan_test::expect_no_validation_messages(*backend);
}

TEST(VulkanBackend, StagingTransfersMatchMappedOnes) {
    std::string why;
    VulkanBackend* mapped = vulkan_test::shared_backend(DType::F32, "cpu", &why);
    if (!mapped) CLIPRT_VULKAN_UNAVAILABLE(why);
    VulkanOptions options;
    options.kernels = "cpu";
    options.validation = true;
    options.force_staging = true;
    options.pipeline_cache = "";
    auto staged = make_vulkan_backend(options);
    const Tensor x = uniform(Shape{3, 16}, 2);
    std::vector<Tensor> results;
    for (Backend* backend : {static_cast<Backend*>(mapped), static_cast<Backend*>(staged.get())}) {
        WeightCache weights(*backend);
        CompiledGraph compiled(diamond_graph(), *backend, weights);
        results.push_back(compiled.run({x})[0]);
    }
    ASSERT_EQ(results[0].nbytes(), results[1].nbytes());
    EXPECT_EQ(std::memcmp(results[0].data(), results[1].data(), results[0].nbytes()), 0);
    bool staging = false;
    for (const auto& [key, value] : staged->device_info().details)
        staging = staging || (key == "transfers" && value == "staging buffer");
    EXPECT_TRUE(staging);
    vulkan_test::expect_no_validation_messages(*staged);
    vulkan_test::expect_no_validation_messages(*mapped);
}

TEST(VulkanBackend, PipelineCacheRoundTripAndRejection) {
    std::string why;
    if (!vulkan_test::shared_backend(DType::F32, "cpu", &why)) CLIPRT_VULKAN_UNAVAILABLE(why);
    const std::string path = temp_path("pipelines.bin");
    fs::remove(path);
    VulkanOptions options;
    options.kernels = "cpu";
    options.pipeline_cache = path;
    auto compile = [&] {
        auto backend = make_vulkan_backend(options);
        WeightCache weights(*backend);
        CompiledGraph compiled(diamond_graph(), *backend, weights);
        EXPECT_GT(backend->pipeline_count(), 0u);
        return backend->pipeline_cache_status();
    };
    EXPECT_EQ(compile(), "none");
    ASSERT_TRUE(fs::exists(path));
    EXPECT_EQ(compile().rfind("loaded ", 0), 0u);

    // What `cliprt bench` reports as start-up (never timed here): cold, then warm from the file;
    // where the driver reports creation feedback and keeps pipelines in its cache data (more than
    // cliprt's and the driver's headers: lavapipe keeps none), every pipeline comes from the cache.
    for (const char* want : {"cold", "warm"}) {
        const bool warm = std::string(want) == "warm";
        if (!warm) fs::remove(path);
        const bool driver_keeps_pipelines =
            warm && fs::file_size(path) > 56 + sizeof(VkPipelineCacheHeaderVersionOne);  // 56: cliprt's header
        auto backend = make_vulkan_backend(options);
        WeightCache weights(*backend);
        CompiledGraph compiled(diamond_graph(), *backend, weights);
        const StartupStats s = startup_stats(*backend);
        EXPECT_EQ(s.pipeline_cache, want) << s.pipeline_cache_detail;
        EXPECT_EQ(s.pipelines, static_cast<int>(backend->pipeline_count()));
        EXPECT_GT(s.pipelines, 0);
        EXPECT_GT(s.pipeline_seconds, 0.0);
        EXPECT_NE(s.pipeline_cache_detail.find(path), std::string::npos) << s.pipeline_cache_detail;
        EXPECT_LE(s.pipeline_cache_hits, s.pipelines);
        if (warm && s.pipeline_cache_hits >= 0 && driver_keeps_pipelines) {
            EXPECT_EQ(s.pipeline_cache_hits, s.pipelines);
        }
        if (!warm) {
            EXPECT_LE(s.pipeline_cache_hits, 0);
        }
    }

    // A damaged file is ignored (and replaced), never handed to the driver.
    std::vector<char> bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    ASSERT_GT(bytes.size(), 64u);
    bytes.back() ^= 0x5a;
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_NE(compile().find("checksum mismatch"), std::string::npos);
    EXPECT_EQ(compile().rfind("loaded ", 0), 0u);

    // A file from another device (device id in cliprt's header) is ignored too.
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    bytes[16] ^= 0x01;  // FileHeader::device_id follows magic[8], format_version, vendor_id
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_NE(compile().find("made for another device"), std::string::npos);
    fs::remove_all(fs::path(path).parent_path());
}

TEST(VulkanBackend, F16StorageThroughTheExecutor) {
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, DType::F16, "cpu");
    EXPECT_EQ(backend->float_storage_dtype(), DType::F16);
    WeightCache weights(*backend);
    CompiledGraph compiled(diamond_graph(), *backend, weights);
    const Tensor out = compiled.run({uniform(Shape{3, 16}, 4)})[0];
    EXPECT_EQ(out.dtype(), DType::F32);
    EXPECT_EQ(out.shape(), (Shape{3, 5}));
    for (int64_t i = 0; i < out.numel(); ++i) EXPECT_TRUE(std::isfinite(out.f32()[i]));
    vulkan_test::expect_no_validation_messages(*backend);
}

TEST(VulkanBackend, UnsupportedNodesAreNamed) {
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, DType::F32, "cpu");
    auto g = std::make_shared<Graph>();
    AttentionParams p;
    p.heads = 1;
    p.packed_qkv = true;
    g->mark_output(g->attention({g->add_input("qkv", Shape{1, 2, 3 * 512}, DType::F32)}, p, "huge_head"));
    WeightCache weights(*backend);
    try {
        CompiledGraph compiled(g, *backend, weights);
        ADD_FAILURE() << "a head dim of 512 was accepted";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("vulkan"), std::string::npos) << message;
        EXPECT_NE(message.find("huge_head"), std::string::npos) << message;
        EXPECT_NE(message.find("head dim 512"), std::string::npos) << message;
    }
}

TEST(VulkanBackend, BuffersMayOutliveTheBackend) {
    std::string why;
    if (!vulkan_test::shared_backend(DType::F32, "cpu", &why)) CLIPRT_VULKAN_UNAVAILABLE(why);
    VulkanOptions options;
    options.pipeline_cache = "";
    auto backend = make_vulkan_backend(options);
    std::unique_ptr<Buffer> buffer = backend->allocate(1024);
    const std::vector<float> data(256, 1.5f);
    backend->upload(*buffer, 0, data.data(), 1024);
    backend.reset();
    EXPECT_EQ(buffer->size(), 1024u);
    buffer.reset();  // frees into the (still alive) device context
}

// The debug messenger really records what the layer reports: a buffer with no usage is invalid.
TEST(VulkanBackend, ValidationMessagesAreCaught) {
    std::string why;
    if (!vulkan_test::shared_backend(DType::F32, "cpu", &why)) CLIPRT_VULKAN_UNAVAILABLE(why);
    vk::Instance instance(true);
    const std::vector<vk::PhysicalDevice> devices = vk::enumerate_physical_devices(instance);
    const vk::PhysicalDevice& physical = vk::choose_physical_device(devices, -1);
    vk::Device device(instance, physical);
    VkBufferCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    info.size = 64;
    info.usage = 0;  // VUID-VkBufferCreateInfo-usage-requiredbitmask
    VkBuffer buffer = VK_NULL_HANDLE;
    if (device.api().vkCreateBuffer(device.handle(), &info, nullptr, &buffer) == VK_SUCCESS)
        device.api().vkDestroyBuffer(device.handle(), buffer, nullptr);
    const std::vector<std::string> messages = instance.messages().messages();
    ASSERT_FALSE(messages.empty());
    EXPECT_NE(messages[0].find("usage"), std::string::npos) << messages[0];
}

// `cliprt parity --against`: the model on Vulkan compared with the same model on the CPU backend.
TEST(VulkanGoldenAgainst, CpuBackend) {
    CLIPRT_VULKAN_BACKEND_OR_SKIP(backend, DType::F32, "auto");
    auto cpu = make_cpu_ref_backend(0);
    const std::string case_dir = std::string(CLIPRT_SOURCE_DIR) + "/tests/goldens/small_clip_logits";
    const ParityResult r = run_golden_case_against(case_dir, *backend, *cpu, ParityTolerance{});
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_TRUE(r.pass) << r.cosine_min << " " << r.nmse;
    EXPECT_EQ(r.backend, "vulkan vs cpu-ref");
    EXPECT_GT(r.nmse, 0.0);  // two different devices' arithmetic: the outputs really were compared
    vulkan_test::expect_no_validation_messages(*backend);
}

}  // namespace
}  // namespace cliprt
