#include "models/model_config.h"

#include <gtest/gtest.h>

#include "cliprt/error.h"
#include "models/model_loader.h"

namespace cliprt {
namespace {

TEST(ModelConfig, EveryBuiltinConfigParses) {
    const auto names = builtin_model_names();
    for (const char* required :
         {"RN50", "RN101", "RN50x4", "RN50x16", "RN50x64", "ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336",
          "ViT-H-14", "RN50-quickgelu", "ViT-B-32-quickgelu", "ViT-L-14-quickgelu"}) {
        EXPECT_TRUE(is_builtin_model(required)) << required;
    }
    for (const auto& name : names) EXPECT_NO_THROW(builtin_model_config(name)) << name;
}

TEST(ModelConfig, ReadsOpenClipFields) {
    const ClipConfig rn = builtin_model_config("RN50");
    EXPECT_TRUE(rn.vision.resnet);
    EXPECT_EQ(rn.vision.resnet_layers, (std::vector<int>{3, 4, 6, 3}));
    EXPECT_EQ(rn.embed_dim, 1024);
    const ClipConfig q = builtin_model_config("ViT-B-32-quickgelu");
    EXPECT_EQ(q.vision.block.act, Activation::QuickGelu);
    EXPECT_EQ(q.text.block.act, Activation::QuickGelu);
    EXPECT_EQ(builtin_model_config("ViT-B-32").text.block.act, Activation::Gelu);
}

TEST(ModelConfig, UnknownKeysAndUnsupportedOptionsAreNamed) {
    auto message = [](const std::string& json) {
        try {
            parse_model_config(json, "test.json");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const std::string ok_text = R"("text_cfg": {"width": 64, "heads": 2, "layers": 1})";
    EXPECT_NE(message(R"({"embed_dim": 8, "vision_cfg": {"width": 64, "colour": 1}, )" + ok_text + "}").find("colour"),
              std::string::npos);
    EXPECT_NE(
        message(R"({"embed_dim": 8, "vision_cfg": {"timm_model_name": "convnext"}, )" + ok_text + "}").find("timm"),
        std::string::npos);
    EXPECT_NE(message(R"({"embed_dim": 8, "vision_cfg": {"width": "wide"}, )" + ok_text + "}").find("width"),
              std::string::npos);
    EXPECT_NE(message("{not json").find("invalid JSON"), std::string::npos);
    EXPECT_NE(message(R"({"embed_dim": 8})").find("vision_cfg"), std::string::npos);
    EXPECT_NE(message(R"({"embed_dim": 8, "vision_cfg": {"image_size": 30, "patch_size": 16}, )" + ok_text + "}")
                  .find("multiple of patch_size"),
              std::string::npos);
    EXPECT_THROW(builtin_model_config("ViT-Q-99"), Error);
}

// The error a config with this vision_cfg (and a small text tower) gets, or "no error".
std::string timm_vision_error(const std::string& vision) {
    try {
        parse_model_config(
            R"({"embed_dim": 8, "vision_cfg": )" + vision + R"(, "text_cfg": {"width": 64, "heads": 2, "layers": 1}})",
            "test.json");
    } catch (const Error& e) {
        return std::string(e.what());
    }
    return std::string("no error");
}

TEST(ModelConfig, TimmTowerErrorsNameTheProblem) {
    const auto message = timm_vision_error;
    const std::string unknown = message(R"({"timm_model_name": "resnet50d"})");
    EXPECT_NE(unknown.find("'resnet50d' is not supported"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("timm VisionTransformer"), std::string::npos) << unknown;
    const std::string map = R"({"image_size": 32, "timm_model_name": "cliprt_test_vit_map", )";
    EXPECT_EQ(message(map + R"("timm_pool": "map", "timm_proj": "none"})"), "no error");
    EXPECT_NE(message(map + R"("timm_pool": "max"})").find("timm_pool \"max\" is not supported"), std::string::npos);
    EXPECT_NE(message(map + R"("timm_pool": "abs_attn"})").find("convolutional trunk"), std::string::npos);
    EXPECT_NE(message(map + R"("timm_proj": "conv"})").find("timm_proj"), std::string::npos);
    EXPECT_NE(message(R"({"image_size": 64, "timm_model_name": "cliprt_test_vit_map"})").find("differs from the 32x32"),
              std::string::npos);
    // timm builds the map head only when constructed with it; a token model is reset, not rebuilt.
    const std::string token = R"({"image_size": [32, 48], "timm_model_name": "cliprt_test_vit_token", )";
    EXPECT_NE(message(token + R"("timm_pool": "map", "timm_proj": "linear"})").find("cannot add a map pool"),
              std::string::npos);
    // Built with map (no extra projection), a trunk with class and register tokens has its map head.
    EXPECT_EQ(message(token + R"("timm_pool": "map", "timm_proj": "none"})"), "no error");
    EXPECT_NE(message(map + R"("timm_pool": "token", "timm_proj": "none"})").find("needs a class token"),
              std::string::npos);
    EXPECT_NE(unknown.find("timm ConvNeXt"), std::string::npos) << unknown;
}

TEST(ModelConfig, TimmConvNextErrorsNameTheProblem) {
    const auto message = timm_vision_error;
    const std::string convnext = R"({"image_size": 64, "timm_model_name": "cliprt_test_convnext", )";
    EXPECT_EQ(message(convnext + R"("timm_pool": "", "timm_proj": "linear"})"), "no error");
    EXPECT_EQ(message(convnext + R"("timm_pool": "avg", "timm_proj": ""})"), "no error");
    EXPECT_NE(message(convnext + R"("timm_pool": "", "timm_proj": "none"})").find("unpooled"), std::string::npos);
    EXPECT_NE(message(convnext + R"("timm_pool": "max", "timm_proj": "linear"})").find("supported: avg"),
              std::string::npos);
    EXPECT_NE(message(convnext + R"("timm_pool": "abs_attn", "timm_proj": "none"})").find("abs_attn"),
              std::string::npos);
    EXPECT_NE(message(R"({"image_size": 16, "timm_model_name": "cliprt_test_convnext"})").find("smaller than the 32"),
              std::string::npos);
    const std::string pool = R"({"image_size": 64, "timm_model_name": "cliprt_test_convnext_pool", )";
    EXPECT_EQ(message(pool + R"("timm_pool": "abs_attn", "timm_proj": ""})"), "no error");
    EXPECT_EQ(message(pool + R"("timm_pool": "rot_attn", "timm_proj": ""})"), "no error");
    EXPECT_NE(message(R"({"image_size": 64, "timm_model_name": "cliprt_test_convnext", "timm_pool": "rot_attn"})")
                  .find("heads of 64"),
              std::string::npos);
    EXPECT_NE(message(convnext + R"("timm_pool": "abs_attn", "timm_proj": ""})").find("feature size"),
              std::string::npos);
    // Every open_clip ConvNeXt config is built in.
    for (const char* name : {"convnext_tiny", "convnext_small", "convnext_base", "convnext_base_w",
                             "convnext_base_w_320", "convnext_large", "convnext_large_d", "convnext_large_d_320",
                             "convnext_xlarge", "convnext_xxlarge", "convnext_xxlarge_320"})
        EXPECT_TRUE(is_builtin_model(name)) << name;
    EXPECT_EQ(builtin_model_config("convnext_large_d").vision.timm_proj, "mlp");
}

TEST(ModelConfig, TimmEvaErrorsNameTheProblem) {
    const auto message = timm_vision_error;
    const std::string unknown = message(R"({"timm_model_name": "resnet50d"})");
    EXPECT_NE(unknown.find("timm Eva (eva02_*_clip_*"), std::string::npos) << unknown;
    // Eva (EVA01 / EVA02): the VisionTransformer's pools, without the map head.
    const std::string eva = R"({"image_size": [32, 48], "timm_model_name": "cliprt_test_eva02", )";
    EXPECT_EQ(message(eva + R"("timm_pool": "token", "timm_proj": null})"), "no error");
    EXPECT_EQ(message(eva + R"("timm_pool": "avg", "timm_proj": "mlp"})"), "no error");
    EXPECT_NE(message(eva + R"("timm_pool": "map", "timm_proj": "none"})").find("map on the Eva trunk"),
              std::string::npos);
    EXPECT_NE(message(eva + R"("timm_pool": "abs_attn"})").find("convolutional trunk"), std::string::npos);
    EXPECT_NE(message(R"({"image_size": 32, "timm_model_name": "cliprt_test_eva02"})").find("differs from the 32x48"),
              std::string::npos);
    // Every open_clip EVA config is built in.
    for (const char* name : {"EVA01-g-14", "EVA01-g-14-plus", "EVA02-B-16", "EVA02-L-14", "EVA02-L-14-336",
                             "EVA02-E-14", "EVA02-E-14-plus"})
        EXPECT_TRUE(is_builtin_model(name)) << name;
    EXPECT_EQ(builtin_model_config("EVA02-B-16").vision.timm_model_name, "eva02_base_patch16_clip_224");
}

TEST(ModelConfig, PrenormVitErrorsNameTheProblem) {
    const auto message = timm_vision_error;
    const std::string tower = R"({"image_size": 32, "patch_size": 8, "width": 32, "layers": 2, "prenorm_vit": )";
    EXPECT_EQ(message(tower + R"({"heads": 2, "dim_head": 16, "mlp_dim": 64, "pool": "mean"}})"), "no error");
    EXPECT_NE(message(tower + R"({"heads": 2, "dim_head": 16}})").find("mlp_dim"), std::string::npos);
    EXPECT_NE(message(tower + R"({"mlp_dim": 64, "pool": "max"}})").find("not cls or mean"), std::string::npos);
    EXPECT_NE(message(tower + R"({"mlp_dim": 64, "depth": 2}})").find("unknown config key 'depth'"), std::string::npos);
    EXPECT_NE(
        message(R"({"image_size": [32, 48], "patch_size": 8, "prenorm_vit": {"mlp_dim": 64}})").find("square images"),
        std::string::npos);
    EXPECT_NE(message(R"({"layers": [1, 1, 1, 1], "width": 16, "prenorm_vit": {"mlp_dim": 64}})").find("ResNet"),
              std::string::npos);
}

TEST(ModelConfig, TimmCustomHeadErrorsNameTheProblem) {
    auto message = [](const std::string& head, const std::string& pool = "avg") {
        return timm_vision_error(R"({"image_size": 64, "timm_model_name": "cliprt_test_convnext", "timm_pool": ")" +
                                 pool + R"(", "timm_custom_head": )" + head + "}");
    };
    EXPECT_EQ(message(R"([{"kind": "linear", "out_features": 8}, {"kind": "relu"}])"), "no error");
    EXPECT_NE(message(R"([{"kind": "conv", "out_features": 8}])").find("unknown layer kind \"conv\""),
              std::string::npos);
    EXPECT_NE(message(R"([{"kind": "linear"}])").find("needs out_features"), std::string::npos);
    EXPECT_NE(message(R"([{"kind": "relu", "out_features": 8}])").find("belong to linear"), std::string::npos);
    EXPECT_NE(message(R"([{"kind": "linear", "out_features": 8, "colour": 1}])").find("colour"), std::string::npos);
    EXPECT_NE(message(R"([{"kind": "linear", "out_features": 9}])").find("embed_dim is 8"), std::string::npos);
    EXPECT_NE(message(R"([{"kind": "linear", "name": "a", "out_features": 8}, {"kind": "relu", "name": "a"}])")
                  .find("used twice"),
              std::string::npos);
    EXPECT_NE(message(R"([])").find("1 to 64 layers"), std::string::npos);
    EXPECT_NE(message(R"([{"kind": "linear", "out_features": 8}])", "").find("pooled trunk"), std::string::npos);
}

TEST(ModelLoader, MissingWeightsAreAClearError) {
    try {
        load_clip_model("ViT-B-32", "/nonexistent/model.safetensors");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/model.safetensors"), std::string::npos);
    }
    EXPECT_THROW(load_clip_model("ViT-B-32", ""), Error);
}

}  // namespace
}  // namespace cliprt
