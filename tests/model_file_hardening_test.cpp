// Crafted model files (a downloaded model directory is untrusted input): values that used to crash
// (SIGFPE, stack overflow), change silently (4294967320 -> 24, 7.9 -> 7, -1 -> 0) or fail with raw
// nlohmann messages are one error naming the file, the key and a short form of the value (issue 19,
// items 6, 7 and 11).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cliprt/error.h"
#include "cliprt/safetensors.h"
#include "models/hf_clip.h"
#include "models/model_config.h"
#include "search_test_support.h"

namespace cliprt {
namespace {

using nlohmann::json;

const std::string kHfConfig = std::string(CLIPRT_SOURCE_DIR) + "/tests/data/checkpoints/hf_clip_f16/config.json";
const std::string kOpenClipConfig =
    std::string(CLIPRT_SOURCE_DIR) + "/tests/data/checkpoints/open_clip_f16/open_clip_config.json";

json load(const std::string& path) {
    std::ifstream in(path);
    return json::parse(in);
}

template <typename Parse>
std::string error_of(Parse parse, const std::string& text) {
    try {
        parse(text, "model/config.json");
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

std::string hf_error(const json& config) { return error_of(parse_hf_clip_config, config.dump()); }
std::string open_clip_error(const json& config) { return error_of(parse_model_config, config.dump()); }

// The message names the file and the key, shows the value, and is none of nlohmann's.
void expect_named(const std::string& message, const std::string& key, const std::string& value) {
    EXPECT_NE(message.find("model/config.json"), std::string::npos) << message;
    EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(value), std::string::npos) << message;
    EXPECT_EQ(message.find("json.exception"), std::string::npos) << message;
}

TEST(HfConfigValues, PatchSizeZeroOrFractionalIsAnError) {
    for (const json& value : {json(0), json(-0.5), json(7.9), json(-8), json("8")}) {
        json c = load(kHfConfig);
        c["vision_config"]["patch_size"] = value;
        expect_named(hf_error(c), "patch_size", value.dump());
    }
}

TEST(HfConfigValues, ZeroOrHugeSizesAreErrors) {
    for (const char* key :
         {"hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size", "image_size"}) {
        for (const json& value : {json(0), json(-1), json(4294967320ull)}) {
            json c = load(kHfConfig);
            c["vision_config"][key] = value;
            expect_named(hf_error(c), key, value.dump());
        }
    }
    json c = load(kHfConfig);
    c["projection_dim"] = 4294967320ull;  // was 24 after narrowing to int
    expect_named(hf_error(c), "projection_dim", "4294967320");
}

TEST(HfConfigValues, WrongTypesAndMissingSectionsNameTheKey) {
    json c = load(kHfConfig);
    c["text_config"]["hidden_act"] = 5;  // was [json.exception.type_error.302]
    expect_named(hf_error(c), "hidden_act", "5");
    c = load(kHfConfig);
    c.erase("text_config");  // was "key 'text_config' not found"
    const std::string missing = hf_error(c);
    EXPECT_NE(missing.find("model/config.json: missing 'text_config'"), std::string::npos) << missing;
    c = load(kHfConfig);
    c["vision_config"] = json::array({1, 2});
    expect_named(hf_error(c), "vision_config", "an array of 2 values");
    c = load(kHfConfig);
    c["model_type"] = 7;  // was type_error.302 from value()
    EXPECT_NE(hf_error(c).find("model_type must be"), std::string::npos);
}

TEST(OpenClipConfigValues, IntegersAreCheckedNotNarrowed) {
    const json base = load(kOpenClipConfig)["model_cfg"];
    ASSERT_NO_THROW(parse_model_config(base.dump(), "base"));
    struct Case {
        std::vector<std::string> path;
        json value;
    };
    for (const Case& k : std::vector<Case>{{{"embed_dim"}, 4294967320ull},
                                           {{"vision_cfg", "patch_size"}, 7.9},
                                           {{"vision_cfg", "patch_size"}, 0},
                                           {{"vision_cfg", "layers"}, -1},
                                           {{"vision_cfg", "width"}, 0},
                                           {{"vision_cfg", "head_width"}, -64},
                                           {{"text_cfg", "layers"}, -1},
                                           {{"text_cfg", "heads"}, 0},
                                           {{"text_cfg", "context_length"}, 1e300},
                                           {{"text_cfg", "vocab_size"}, true}}) {
        json c = base;
        json* at = &c;
        for (size_t i = 0; i + 1 < k.path.size(); ++i) at = &(*at)[k.path[i]];
        (*at)[k.path.back()] = k.value;
        expect_named(open_clip_error(c), k.path.back(), k.value.dump());
    }
    // Integral floats are the integers they spell.
    json c = base;
    c["vision_cfg"]["patch_size"] = double(base["vision_cfg"]["patch_size"].get<int>());
    EXPECT_EQ(parse_model_config(c.dump(), "float").vision.patch_size, base["vision_cfg"]["patch_size"].get<int>());
}

TEST(OpenClipConfigValues, WrongShapesNameTheKey) {
    const json base = load(kOpenClipConfig)["model_cfg"];
    json c = base;
    c["vision_cfg"]["act_kwargs"] = json::array({1});  // was "cannot use key() for non-object iterators"
    expect_named(open_clip_error(c), "act_kwargs", "an array of 1 values");
    c = base;
    c["text_cfg"]["norm_kwargs"] = {{"eps", "small"}};
    expect_named(open_clip_error(c), "eps", "\"small\"");
    c = base;
    c["vision_cfg"]["layers"] = json::array({3, 4, 6.5, 3});
    expect_named(open_clip_error(c), "layers", "6.5");
}

// Long values are cut in messages, not echoed whole.
TEST(ConfigErrors, HugeValuesAreNotEchoed) {
    json c = load(kOpenClipConfig)["model_cfg"];
    c["text_cfg"]["pool_type"] = std::string(100000, 'x');
    const std::string pool = open_clip_error(c);
    EXPECT_NE(pool.find("pool_type"), std::string::npos) << pool;
    EXPECT_LT(pool.size(), 300u);
    c = load(kOpenClipConfig)["model_cfg"];
    c["vision_cfg"][std::string(100000, 'k')] = 1;
    const std::string key = open_clip_error(c);
    EXPECT_NE(key.find("unknown config key"), std::string::npos) << key.substr(0, 200);
    EXPECT_LT(key.size(), 300u);
}

// 60,000 levels of nesting: refused by the parser instead of overflowing the stack in a recursive
// dump (the wrong-typed value used to be echoed whole).
TEST(ConfigErrors, DeepNestingIsAnError) {
    const std::string deep = std::string(60000, '[') + std::string(60000, ']');
    const std::string open_clip =
        error_of(parse_model_config, "{\"embed_dim\": " + deep + ", \"vision_cfg\": {}, \"text_cfg\": {}}");
    EXPECT_NE(open_clip.find("model/config.json: JSON nested deeper than 64 levels"), std::string::npos) << open_clip;
    const std::string hf =
        error_of(parse_hf_clip_config, "{\"model_type\": \"clip\", \"projection_dim\": " + deep + "}");
    EXPECT_NE(hf.find("model/config.json: JSON nested deeper than 64 levels"), std::string::npos) << hf;

    test::TempDir dir;
    const std::string path = dir / "deep.safetensors";
    std::string header = "{\"__metadata__\": {\"a\": " + deep + "}}";
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string file(8, '\0');
    for (int i = 0; i < 8; ++i) file[static_cast<size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
    test::write_file(path, file + header);
    try {
        SafetensorsFile::open(path);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("nested deeper than 64"), std::string::npos) << e.what();
    }
}

// A tensor name with a 50,000-digit layer index crashed std::regex (recursion per character); now
// it is simply not a CLIP tensor, and ordinary names still map.
TEST(HfTensorNames, HugeLayerIndexIsNotMapped) {
    test::TempDir dir;
    const std::string path = dir / "model.safetensors";
    const Tensor bias = Tensor::from_f32(Shape{4}, {1, 2, 3, 4});
    write_safetensors(path, {{"vision_model.encoder.layers." + std::string(50000, '7') + ".mlp.fc1.weight", bias},
                             {"vision_model.encoder.layers.3.self_attn.k_proj.bias", bias},
                             {"text_model.encoder.layers.11.mlp.fc2.weight", bias},
                             {"text_model.encoder.layers.2.mlp.fc3.weight", bias},
                             {"text_model.encoder.layers.x.mlp.fc1.weight", bias}});
    HfClipWeights weights({SafetensorsFile::open(path)});
    EXPECT_TRUE(weights.has("visual.transformer.resblocks.3.attn.in_proj_bias"));
    EXPECT_TRUE(weights.has("transformer.resblocks.11.mlp.c_proj.weight"));
    EXPECT_FALSE(weights.has("transformer.resblocks.2.mlp.fc3.weight"));
    EXPECT_FALSE(weights.has("transformer.resblocks.x.mlp.c_fc.weight"));
}

}  // namespace
}  // namespace cliprt
