// Tensors larger than one shader binding (VulkanOptions::max_binding_bytes, by default the
// device's maxStorageBufferRange): an embedding's table is bound in pieces of vocabulary rows, a
// linear's weight in pieces of output features and its activations in pieces of rows, and every
// other op's activations a slice of the batch at a time (vulkan_batch_slices.h). Here the
// limit is 16 KiB so that small tensors take those paths; each case is checked against the CPU
// oracle with guards around every output, and must take more than one dispatch. The full-size case
// is the golden vit_l_14_text (its 151 MB f32 token embedding past lavapipe's 128 MiB) in the
// parity suite. The validation layer is on; any message fails the test.
#include <gtest/gtest.h>

#include "cliprt/executor.h"
#include "models/model_loader.h"
#include "models/parity.h"
#include "op_parity_cases.h"
#include "vulkan_test_support.h"

namespace cliprt {
namespace {

using op_parity::Data;
using op_parity::Family;

constexpr uint64_t kMaxBinding = 16 << 10;

struct PiecesConfig {
    DType dtype;
    std::string kernels;
};

void PrintTo(const PiecesConfig& c, std::ostream* out) { *out << dtype_name(c.dtype) << "/" << c.kernels; }

// One backend per configuration, created once (an instance with the validation layer is slow).
VulkanBackend* pieces_backend(const PiecesConfig& c, std::string* why) {
    static std::map<std::pair<DType, std::string>, vulkan_test::Shared> backends;
    auto [it, inserted] = backends.try_emplace({c.dtype, c.kernels});
    if (inserted) {
        try {
            VulkanOptions options;
            options.dtype = c.dtype;
            options.kernels = c.kernels;
            options.validation = true;
            options.pipeline_cache = "";
            options.max_binding_bytes = kMaxBinding;
            it->second.backend = make_vulkan_backend(options);
        } catch (const Error& e) {
            it->second.unavailable = e.what();
        }
    }
    *why = it->second.unavailable;
    return it->second.backend.get();
}

struct PiecesCase {
    std::string name;
    Family family;
    std::function<void(Graph&, Data&)> build;
};

std::vector<PiecesCase> pieces_cases() {
    const auto linear = [](Graph& g, Data& d, Shape x_shape, int64_t n, bool bias, bool residual, Activation act) {
        const int64_t k = x_shape[x_shape.rank() - 1];
        std::vector<int64_t> y_dims = x_shape.dims();
        y_dims.back() = n;
        const ValueId x = d.input(g, "x", x_shape);
        const ValueId w = d.constant(g, "w", Shape{n, k}, 0.3f);
        const ValueId b = bias ? d.constant(g, "b", Shape{n}) : -1;
        const ValueId r = residual ? d.input(g, "r", Shape(y_dims)) : -1;
        g.mark_output(g.linear(x, w, b, act, r));
    };
    return {
        // Tables of 96000 / 48000 bytes: 6 / 3 pieces of vocabulary rows; ids in every piece,
        // the first and last rows, and repeats.
        {"embedding_table_in_pieces", Family::Exact,
         [](Graph& g, Data& d) {
             std::vector<int32_t> ids = {0, 999, 500, 171, 172, 341, 342, 683, 684, 998, 1, 0, 999, 12};
             const ValueId i = d.ids(g, "ids", ids, Shape{2, 7});
             g.mark_output(g.embedding(i, d.constant(g, "table", Shape{1000, 24})));
         }},
        // A width whose rows do not divide the alignment: pieces of a multiple of 4 or 8 rows.
        {"embedding_odd_width_in_pieces", Family::Exact,
         [](Graph& g, Data& d) {
             const ValueId i = d.random_ids(g, "ids", Shape{3, 5}, 701);
             g.mark_output(g.embedding(i, d.constant(g, "table", Shape{701, 13})));
         }},
        // w [300, 40]: 48000 bytes in f32, pieces of output features; bias, residual, GELU.
        {"linear_weight_in_pieces", Family::Matmul,
         [=](Graph& g, Data& d) {
             linear(g, d, Shape{5, 40}, 300, true, true, Activation::Gelu);
         }},
        // K = 37: no vec4 loads, rows of w that do not divide the alignment.
        {"linear_weight_odd_k_in_pieces", Family::Matmul,
         [=](Graph& g, Data& d) {
             linear(g, d, Shape{3, 37}, 301, true, false, Activation::None);
         }},
        // x [2, 150, 40] and y: pieces of rows.
        {"linear_rows_in_pieces", Family::Matmul,
         [=](Graph& g, Data& d) {
             linear(g, d, Shape{2, 150, 40}, 24, true, true, Activation::QuickGelu);
         }},
        // Both: x [260, 36], w [200, 36], y [260, 200]: a grid of (row, feature) pieces.
        {"linear_rows_and_weight_in_pieces", Family::Matmul,
         [=](Graph& g, Data& d) {
             linear(g, d, Shape{260, 36}, 200, false, true, Activation::Relu);
         }},
        // Batch slices: activations past the limit whose batch rows each fit. The weights [8, 4,
        // 3, 3] lead with 8, the batch here is 6: they stay whole.
        {"conv2d_batch_slices", Family::Matmul,
         [](Graph& g, Data& d) {
             Conv2dParams p;
             p.pad_h = p.pad_w = 1;
             p.has_bias = p.has_residual = true;
             p.act = Activation::Relu;
             const ValueId x = d.input(g, "x", Shape{6, 4, 16, 16});
             const ValueId r = d.input(g, "r", Shape{6, 8, 16, 16});
             g.mark_output(
                 g.conv2d(x, d.constant(g, "w", Shape{8, 4, 3, 3}, 0.3f), d.constant(g, "b", Shape{8}), p, r));
         }},
        {"avg_pool2d_batch_slices", Family::Norm,
         [](Graph& g, Data& d) {
             AvgPool2dParams p;
             p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = 2;
             g.mark_output(g.avg_pool2d(d.input(g, "x", Shape{6, 8, 16, 16}), p));
         }},
        // Packed qkv [8, 20, 96] with a key mask [8, 20]: both sliced; the per-head multipliers not.
        {"attention_batch_slices", Family::Matmul,
         [](Graph& g, Data& d) {
             AttentionParams p;
             p.heads = 4;
             p.packed_qkv = p.cosine = p.has_key_mask = true;
             const ValueId qkv = d.input(g, "qkv", Shape{8, 20, 96});
             const ValueId mult = d.constant(g, "logit_mult", Shape{4});
             const ValueId mask = d.ids(g, "key_mask", op_parity::key_mask_rows(8, 20), Shape{8, 20});
             g.mark_output(g.attention({qkv, mult, mask}, p));
         }},
        {"layer_norm_batch_slices", Family::Norm,
         [](Graph& g, Data& d) {
             g.mark_output(g.layer_norm(d.input(g, "x", Shape{40, 10, 64}), d.constant(g, "gamma", Shape{64}),
                                        d.constant(g, "beta", Shape{64}), 1e-5f));
         }},
        // b [1, 30, 32] broadcasts over the batch: bound whole.
        {"binary_broadcast_batch_slices", Family::Elementwise,
         [](Graph& g, Data& d) {
             g.mark_output(
                 g.binary(BinaryOp::Mul, d.input(g, "a", Shape{12, 30, 32}), d.input(g, "b", Shape{1, 30, 32})));
         }},
        {"softmax_batch_slices", Family::Norm,
         [](Graph& g, Data& d) {
             g.mark_output(g.softmax(d.input(g, "x", Shape{24, 16, 40})));
         }},
        {"token_pool_batch_slices", Family::Norm,
         [](Graph& g, Data& d) {
             TokenPoolParams p;
             p.mode = PoolMode::MaskedMean;
             const ValueId mask = d.ids(g, "mask", op_parity::key_mask_rows(16, 20), Shape{16, 20});
             g.mark_output(g.token_pool(d.input(g, "x", Shape{16, 20, 48}), mask, p));
         }},
        {"concat_batch_slices", Family::Exact,
         [](Graph& g, Data& d) {
             g.mark_output(g.concat({d.input(g, "a", Shape{10, 20, 48}), d.input(g, "b", Shape{10, 5, 48})}, 1));
         }},
        {"permute_batch_slices", Family::Exact,
         [](Graph& g, Data& d) {
             g.mark_output(g.permute(d.input(g, "x", Shape{10, 30, 40}), {0, 2, 1}));
         }},
    };
}

using PiecesParam = std::tuple<PiecesConfig, size_t>;

class VulkanBindingPieces : public ::testing::TestWithParam<PiecesParam> {};

TEST_P(VulkanBindingPieces, MatchesCpu) {
    const auto& [config, index] = GetParam();
    const PiecesCase c = pieces_cases()[index];
    std::string why;
    VulkanBackend* backend = pieces_backend(config, &why);
    if (!backend) CLIPRT_VULKAN_UNAVAILABLE(why);
    Data data(config.dtype, static_cast<uint32_t>(77 + index));
    auto graph = std::make_shared<Graph>();
    c.build(*graph, data);
    bool past_limit = false;
    for (const Value& v : graph->values()) {
        const uint64_t bytes =
            static_cast<uint64_t>(v.shape.numel()) * dtype_size(v.dtype == DType::I32 ? DType::I32 : config.dtype);
        past_limit = past_limit || bytes > kMaxBinding;
    }
    ASSERT_TRUE(past_limit) << c.name << ": no tensor is larger than one binding";
    const std::vector<Tensor> want = op_parity::run_cpu(graph, data.inputs);
    int dispatches = 0;
    const std::vector<Tensor> got = op_parity::run_guarded(*backend, *graph, data.inputs, &dispatches);
    EXPECT_GT(dispatches, 1) << c.name << " was not bound in pieces";
    if (c.name.ends_with("_batch_slices")) {  // more dispatches than the same graph takes in one binding
        VulkanBackend* whole = vulkan_test::shared_backend(config.dtype, config.kernels, &why);
        if (whole != nullptr) {
            int whole_dispatches = 0;
            op_parity::run_guarded(*whole, *graph, data.inputs, &whole_dispatches);
            EXPECT_GT(dispatches, whole_dispatches) << c.name << " was not recorded by batch slices";
        }
    }
    ASSERT_EQ(got.size(), want.size());
    const Comparison cmp = compare_tensors(got[0], want[0]);
    EXPECT_TRUE(cmp.finite);
    if (c.family == Family::Exact) {
        EXPECT_EQ(cmp.max_abs, 0.0) << c.name;
    } else {
        EXPECT_LE(cmp.nmse, op_parity::nmse_limit(c.family, config.dtype)) << c.name;
    }
    std::printf("[vulkan-pieces] %s %s %s dispatches %d nmse %.3e\n", dtype_name(config.dtype), config.kernels.c_str(),
                c.name.c_str(), dispatches, cmp.nmse);
    vulkan_test::expect_no_validation_messages(*backend);
}

std::vector<PiecesParam> pieces_params() {
    std::vector<PiecesParam> out;
    for (const PiecesConfig& config : {PiecesConfig{DType::F32, "cpu"}, PiecesConfig{DType::F32, "gpu"},
                                       PiecesConfig{DType::F16, "cpu"}, PiecesConfig{DType::F16, "gpu"}}) {
        for (size_t i = 0; i < pieces_cases().size(); ++i) out.emplace_back(config, i);
    }
    return out;
}

std::string pieces_name(const ::testing::TestParamInfo<PiecesParam>& info) {
    const auto& [config, index] = info.param;
    return std::string(dtype_name(config.dtype)) + "_" + config.kernels + "_" + pieces_cases()[index].name;
}

INSTANTIATE_TEST_SUITE_P(Vulkan, VulkanBindingPieces, ::testing::ValuesIn(pieces_params()), pieces_name);

// An id outside the vocabulary is still reported (by the piece holding row 0) when the table is
// bound in pieces.
TEST(VulkanBindingPiecesErrors, EmbeddingInPiecesRejectsOutOfRangeIds) {
    std::string why;
    VulkanBackend* backend = pieces_backend({DType::F32, "cpu"}, &why);
    if (!backend) CLIPRT_VULKAN_UNAVAILABLE(why);
    Data data(DType::F32, 5);
    Graph g;
    const ValueId ids = data.ids(g, "ids", {3, 700, 1000, 2, -4, 5}, Shape{2, 3});
    g.mark_output(g.embedding(ids, data.constant(g, "table", Shape{1000, 24})));
    try {
        op_parity::run_guarded(*backend, g, data.inputs);
        ADD_FAILURE() << "an id outside the vocabulary was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("id 1000 at position 2 is outside the vocabulary [0, 1000)"),
                  std::string::npos)
            << e.what();
    }
    vulkan_test::expect_no_validation_messages(*backend);
}

// A tensor past the limit that neither pieces nor batch slices can bind (a batch of one) is refused
// before anything runs, naming it.
TEST(VulkanBindingPiecesErrors, UnsplittableTensorIsNamed) {
    std::string why;
    VulkanBackend* backend = pieces_backend({DType::F32, "cpu"}, &why);
    if (!backend) CLIPRT_VULKAN_UNAVAILABLE(why);
    Data data(DType::F32, 3);
    auto g = std::make_shared<Graph>();
    const ValueId x = data.input(*g, "x", Shape{1, 100, 64});
    g->mark_output(
        g->layer_norm(x, data.constant(*g, "gamma", Shape{64}), data.constant(*g, "beta", Shape{64}), 1e-5f));
    WeightCache weights(*backend);
    try {
        CompiledGraph compiled(g, *backend, weights);
        ADD_FAILURE() << "a layer norm over 25600 bytes was accepted with a 16 KiB binding";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tensor 'x' [1, 100, 64] has 25600 bytes, more than one binding"),
                  std::string::npos)
            << e.what();
    }
    vulkan_test::expect_no_validation_messages(*backend);
}

}  // namespace
}  // namespace cliprt

namespace cliprt {
namespace {

// A whole tower by batch slices: the default model's image tower (convolutions, pooling, the
// attention pool) at batch 32 with a binding that holds its largest weight but not its largest
// activations, against the CPU oracle.
TEST(VulkanBatchSlicesModel, DefaultImageTowerMatchesCpu) {
    auto model = load_clip_model(std::string(CLIPRT_SOURCE_DIR) + "/models/default", "synthetic");
    const auto graph = model->image_graph(32, true);
    uint64_t limit = 0, largest_activation = 0;
    for (const Value& v : graph->values()) {
        const uint64_t bytes = static_cast<uint64_t>(v.shape.numel()) * dtype_size(DType::F32);
        if (v.kind != ValueKind::Activation) {
            limit = std::max(limit, bytes);
        } else {
            largest_activation = std::max(largest_activation, bytes);
            if (v.shape.rank() >= 2) limit = std::max(limit, bytes / static_cast<uint64_t>(v.shape[0]));
        }
    }
    limit = (limit + 4095) / 4096 * 4096;
    ASSERT_GT(largest_activation, limit) << "no activation is larger than the binding";
    VulkanOptions options;
    options.validation = true;
    options.pipeline_cache = "";
    options.max_binding_bytes = limit;
    std::unique_ptr<VulkanBackend> backend;
    try {
        backend = make_vulkan_backend(options);
    } catch (const Error& e) {
        CLIPRT_VULKAN_UNAVAILABLE(e.what());
    }
    Data data(DType::F32, 11);
    const Shape input_shape = graph->shape(graph->inputs().at(0));
    const std::vector<Tensor> inputs = {data.uniform(input_shape)};
    const std::vector<Tensor> want = op_parity::run_cpu(graph, inputs);
    const std::vector<Tensor> got = op_parity::run_guarded(*backend, *graph, inputs);
    const Comparison cmp = compare_tensors(got.at(0), want.at(0));
    EXPECT_TRUE(cmp.finite);
    EXPECT_LE(cmp.nmse, op_parity::nmse_limit(Family::Matmul, DType::F32));
    std::printf(
        "[vulkan-pieces] default image tower, batch 32, binding %llu bytes (largest activation %llu): nmse %.3e\n",
        static_cast<unsigned long long>(limit), static_cast<unsigned long long>(largest_activation), cmp.nmse);
    vulkan_test::expect_no_validation_messages(*backend);
}

}  // namespace
}  // namespace cliprt
