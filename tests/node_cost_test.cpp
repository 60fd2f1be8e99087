// FLOP and byte counts of graph nodes: each op's count against an independent enumeration of the
// multiply-adds its loops perform on a tiny graph, and a ViT tower's matmul FLOPs against the
// architecture's formula from its config.
#include "cliprt/node_cost.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "models/model_loader.h"

namespace cliprt {
namespace {

Tensor zeros(Shape shape) { return Tensor(std::move(shape), DType::F32); }

const Node& last_node(const Graph& g) { return g.nodes().back(); }

TEST(NodeCost, LinearCountsTwoFlopsPerMultiplyAdd) {
    Graph g;
    ValueId x = g.add_input("x", Shape{2, 3, 5}, DType::F32);
    ValueId w = g.add_constant("w", zeros(Shape{7, 5}));
    ValueId b = g.add_constant("b", zeros(Shape{7}));
    g.linear(x, w, b, Activation::Gelu);
    int64_t macs = 0;  // y[r, n] += x[r, k] * w[n, k]
    for (int r = 0; r < 2 * 3; ++r)
        for (int n = 0; n < 7; ++n)
            for (int k = 0; k < 5; ++k) ++macs;
    const NodeCost cost = node_cost(g, last_node(g));
    EXPECT_EQ(cost.flops, 2 * macs);
    EXPECT_EQ(cost.bytes, 4 * (2 * 3 * 5 + 7 * 5 + 7 + 2 * 3 * 7));  // x, W, b, y in f32
    EXPECT_EQ(node_cost(g, last_node(g), DType::F16).bytes, cost.bytes / 2);
}

TEST(NodeCost, Conv2dCountsEveryKernelTapOfEveryOutput) {
    Graph g;
    ValueId x = g.add_input("x", Shape{2, 3, 7, 6}, DType::F32);
    ValueId w = g.add_constant("w", zeros(Shape{4, 3, 3, 2}));
    Conv2dParams p;
    p.stride_h = 2;
    p.pad_h = 1;
    p.pad_w = 1;
    g.conv2d(x, w, -1, p);
    const int64_t oh = (7 + 2 - 3) / 2 + 1, ow = (6 + 2 - 2) / 1 + 1;
    ASSERT_EQ(g.shape(last_node(g).output), (Shape{2, 4, oh, ow}));
    int64_t macs = 0;  // padded taps included, as every conv FLOP convention does
    for (int b = 0; b < 2; ++b)
        for (int o = 0; o < 4; ++o)
            for (int y = 0; y < oh; ++y)
                for (int xx = 0; xx < ow; ++xx)
                    for (int i = 0; i < 3; ++i)
                        for (int ky = 0; ky < 3; ++ky)
                            for (int kx = 0; kx < 2; ++kx) ++macs;
    EXPECT_EQ(node_cost(g, last_node(g)).flops, 2 * macs);
}

TEST(NodeCost, AttentionCountsScoresAndWeightedSum) {
    // Separate q [1, 3, H*D] broadcast over k, v [2, 5, H*D]: 2 heads of 4.
    Graph g;
    ValueId q = g.add_input("q", Shape{1, 3, 8}, DType::F32);
    ValueId k = g.add_input("k", Shape{2, 5, 8}, DType::F32);
    ValueId v = g.add_input("v", Shape{2, 5, 8}, DType::F32);
    AttentionParams p;
    p.heads = 2;
    g.attention({q, k, v}, p);
    int64_t macs = 0;
    for (int b = 0; b < 2; ++b)
        for (int h = 0; h < 2; ++h)
            for (int i = 0; i < 3; ++i)
                for (int j = 0; j < 5; ++j)
                    for (int d = 0; d < 4; ++d) macs += 2;  // s[i, j] += q k; o[i, d] += p[i, j] v[j, d]
    EXPECT_EQ(node_cost(g, last_node(g)).flops, 2 * macs);
    EXPECT_EQ(node_cost(g, last_node(g)).bytes, 4 * (3 * 8 + 2 * 2 * 5 * 8 + 2 * 3 * 8));  // no scores

    Graph packed;  // packed qkv [B, L, 3*W]: Lq = Lk = L
    AttentionParams pp;
    pp.heads = 2;
    pp.packed_qkv = true;
    pp.causal = true;
    packed.attention({packed.add_input("qkv", Shape{2, 5, 24}, DType::F32)}, pp);
    EXPECT_EQ(node_cost(packed, last_node(packed)).flops, 4 * 2 * 2 * 5 * 5 * 4);
}

TEST(NodeCost, ElementwiseOpsCountOnePerElementAndMovesCountNone) {
    Graph g;
    ValueId x = g.add_input("x", Shape{2, 4, 6}, DType::F32);
    ValueId ids = g.add_input("ids", Shape{2, 4}, DType::I32);
    ValueId gamma = g.add_constant("g", zeros(Shape{6}));
    ValueId table = g.add_constant("t", zeros(Shape{100, 6}));
    const int64_t n = 2 * 4 * 6;
    g.layer_norm(x, gamma, gamma, 1e-5f);
    EXPECT_EQ(node_cost(g, last_node(g)).flops, n);
    g.binary(BinaryOp::Add, x, gamma);
    EXPECT_EQ(node_cost(g, last_node(g)).flops, n);
    g.softmax(x);
    EXPECT_EQ(node_cost(g, last_node(g)).flops, n);
    ValueId r = g.reshape(x, Shape{8, 6});
    EXPECT_EQ(node_cost(g, last_node(g)).flops, 0);
    EXPECT_EQ(node_cost(g, last_node(g)).bytes, 0);
    g.permute(r, {1, 0});
    EXPECT_EQ(node_cost(g, last_node(g)).flops, 0);
    EXPECT_EQ(node_cost(g, last_node(g)).bytes, 4 * 2 * n);
    g.embedding(ids, table);  // reads 8 rows of the 100
    EXPECT_EQ(node_cost(g, last_node(g)).bytes, 4 * (2 * 4) + 4 * 2 * n);
    TokenPoolParams first;
    g.token_pool(x, -1, first);
    EXPECT_EQ(node_cost(g, last_node(g)).flops, 0);
    EXPECT_EQ(node_cost(g, last_node(g)).bytes, 4 * 2 * (2 * 6));
    TokenPoolParams mean;
    mean.mode = PoolMode::Mean;
    g.token_pool(x, -1, mean);
    EXPECT_EQ(node_cost(g, last_node(g)).flops, n);

    Graph pool;
    AvgPool2dParams ap;
    ap.kernel_h = ap.kernel_w = ap.stride_h = ap.stride_w = 2;
    pool.avg_pool2d(pool.add_input("x", Shape{1, 3, 4, 6}, DType::F32), ap);
    EXPECT_EQ(node_cost(pool, last_node(pool)).flops, 3 * 2 * 3 * 4);  // one add per window element
}

TEST(NodeCost, GraphCostIsTheSumOfItsNodes) {
    Graph g;
    ValueId x = g.add_input("x", Shape{3, 5}, DType::F32);
    ValueId w = g.add_constant("w", zeros(Shape{5, 5}));
    ValueId y = g.linear(g.linear(x, w), w);
    g.mark_output(g.l2_normalize(y));
    const NodeCost total = graph_cost(g);
    EXPECT_EQ(total.flops, 2 * (2 * 3 * 5 * 5) + 3 * 5);
    int64_t bytes = 0;
    for (const Node& node : g.nodes()) bytes += node_cost(g, node).bytes;
    EXPECT_EQ(total.bytes, bytes);
}

// The image tower of a ViT: patch-embedding conv, per layer qkv, out-proj, two MLP matmuls and
// attention over L = grid^2 + 1 tokens, then the projection to embed_dim. The last layer computes
// keys and values for every token and the rest for the class token alone (the one pooled).
TEST(NodeCost, VitImageTowerMatmulFlopsFollowTheArchitecture) {
    auto model = load_clip_model("ViT-B-32", "synthetic");
    const ClipConfig& cfg = model->config();
    const VisionConfig& v = cfg.vision;
    const int64_t batch = 2;
    const int64_t grid = v.image_size / v.patch_size, tokens = grid * grid + 1, w = v.width;
    const int64_t mlp = static_cast<int64_t>(v.mlp_ratio * static_cast<double>(w));
    const int64_t per_layer =
        2 * tokens * w * 3 * w + 2 * tokens * w * w + 2 * (2 * tokens * w * mlp) + 4 * tokens * tokens * w;
    const int64_t last_layer = 2 * tokens * w * 2 * w + 2 * w * w + 2 * w * w + 2 * (2 * w * mlp) + 4 * tokens * w;
    const int64_t expected = batch * (2 * grid * grid * w * 3 * v.patch_size * v.patch_size +
                                      (v.layers - 1) * per_layer + last_layer + 2 * w * cfg.embed_dim);

    const auto graph = model->image_graph(static_cast<int>(batch), true);
    int64_t matmul = 0;
    for (const Node& node : graph->nodes()) {
        if (node.op == OpKind::Linear || node.op == OpKind::Conv2d || node.op == OpKind::Attention)
            matmul += node_cost(*graph, node).flops;
    }
    EXPECT_EQ(matmul, expected);
    const NodeCost total = graph_cost(*graph);
    EXPECT_LT(total.flops - matmul, matmul / 100) << "elementwise work is a small part";
    std::printf("ViT-B-32 image: %.3f GFLOP per image (matmuls %.3f), %.1f MB moved per image\n",
                1e-9 * static_cast<double>(total.flops) / batch, 1e-9 * static_cast<double>(matmul) / batch,
                1e-6 * static_cast<double>(total.bytes) / batch);
}

}  // namespace
}  // namespace cliprt
