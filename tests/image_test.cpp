// Image decoding and preprocessing parity with open_clip's eval transform, on the fixtures and
// goldens of tests/data/images (made by tools/make_preprocess_goldens.py).
#include "cliprt/image.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "cliprt/error.h"
#include "image/image_resize.h"

namespace {

using cliprt::Image;
using cliprt::PreprocessConfig;

// JPEG inputs go through a different decoder than Pillow's (stb_image vs libjpeg-turbo: IDCT,
// chroma upsampling and YCbCr conversion round differently). Measured on these fixtures, the
// decoded pixels differ by at most 3 levels (gnome_wood.jpg, 4:2:0: mean 0.13, 10% of samples;
// rocket.jpg: max 2, mean 0.01; progressive 4:4:4 and grayscale: max 3 / 1, mean < 0.005), and
// after preprocessing by at most 3 levels with a mean of at most 0.146 (gnome_wood.jpg). The bounds
// below are those measurements. Resampling itself is exact: every lossless input matches open_clip
// bit for bit.
constexpr int kJpegMaxAbsDiff = 3;
constexpr double kJpegMeanAbsDiff = 0.15;

std::string data_path(const std::string& relative) {
    return std::string(CLIPRT_SOURCE_DIR) + "/tests/data/images/" + relative;
}

const nlohmann::json& manifest() {
    static const nlohmann::json data = [] {
        std::ifstream in(data_path("manifest.json"));
        if (!in) throw std::runtime_error("cannot open " + data_path("manifest.json"));
        return nlohmann::json::parse(in);
    }();
    return data;
}

std::vector<uint8_t> golden_rgb(const std::string& name) {
    Image golden = cliprt::decode_image_file(data_path("goldens/" + name));
    if (golden.mode == cliprt::PixelMode::RGB) return golden.pixels;
    std::vector<uint8_t> rgb;
    for (uint8_t v : golden.pixels) rgb.insert(rgb.end(), {v, v, v});
    return rgb;
}

std::vector<uint8_t> read_input(const std::string& name) {
    std::ifstream in(data_path("inputs/" + name), std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool is_jpeg(const std::string& name) { return name.size() > 4 && name.substr(name.size() - 4) == ".jpg"; }

TEST(ImagePreprocess, MatchesOpenClip) {
    int lossless = 0, jpeg = 0, errors = 0;
    std::printf("[ preprocess ] %-30s %-15s %5s %8s %s\n", "input", "config", "max", "mean",
                "(|ours - open_clip| in 1/255)");
    for (const auto& c : manifest()["cases"]) {
        std::string input = c["input"], config_name = c["config_name"];
        SCOPED_TRACE(input + " / " + config_name);
        Image image = cliprt::decode_image_file(data_path("inputs/" + input));
        EXPECT_STREQ(cliprt::pixel_mode_name(image.mode), c["pil_mode"].get<std::string>().c_str());
        PreprocessConfig config = PreprocessConfig::from_json(c["config"].dump());
        if (c.contains("error")) {
            // open_clip fails too (e.g. a side that resizes to 0 pixels).
            EXPECT_THROW(cliprt::preprocess_to_rgb8(image, config), cliprt::Error);
            ++errors;
            continue;
        }
        std::vector<uint8_t> ours = cliprt::preprocess_to_rgb8(image, config);
        std::vector<uint8_t> expected = golden_rgb(c["golden"]);
        ASSERT_EQ(ours.size(), expected.size());
        int max_diff = 0;
        double sum_diff = 0;
        for (size_t i = 0; i < ours.size(); ++i) {
            int d = std::abs(int{ours[i]} - int{expected[i]});
            max_diff = std::max(max_diff, d);
            sum_diff += d;
        }
        double mean_diff = sum_diff / ours.size();
        std::printf("[ preprocess ] %-30s %-15s %5d %8.4f\n", input.c_str(), config_name.c_str(), max_diff, mean_diff);
        if (is_jpeg(input)) {
            EXPECT_LE(max_diff, kJpegMaxAbsDiff);
            EXPECT_LE(mean_diff, kJpegMeanAbsDiff);
            ++jpeg;
        } else {
            EXPECT_EQ(max_diff, 0);
            ++lossless;
        }

        // ToTensor + Normalize against samples of open_clip's float output.
        cliprt::Tensor tensor = cliprt::normalize_rgb8(ours, config.height, config.width, config);
        ASSERT_EQ(tensor.shape().dims(), c["shape"].get<std::vector<int64_t>>());
        double tolerance = is_jpeg(input) ? kJpegMaxAbsDiff / 255.0 / 0.25 : 0.0;
        for (const auto& s : c["samples"]) {
            int ch = s[0], y = s[1], x = s[2];
            float got = tensor.f32()[(int64_t{ch} * config.height + y) * config.width + x];
            EXPECT_LE(std::abs(got - s[3].get<double>()), tolerance) << "sample " << s.dump();
        }
    }
    std::printf("[ preprocess ] %d lossless cases exact, %d JPEG cases within %d/255, %d expected errors\n", lossless,
                jpeg, kJpegMaxAbsDiff, errors);
    EXPECT_GT(lossless, 50);
    EXPECT_GT(jpeg, 5);
}

// Pillow's Image.resize on several modes and sizes, compared by CRC-32 of the result.
TEST(ImageResize, MatchesPillowResize) {
    int checked = 0;
    for (const auto& check : manifest()["resize_checks"]) {
        Image image = cliprt::decode_image_file(data_path("inputs/" + check["input"].get<std::string>()));
        int width = check["width"], height = check["height"];
        std::string filter_name = check["filter"];
        auto filter = filter_name == "nearest"    ? cliprt::resample::Filter::Nearest
                      : filter_name == "bilinear" ? cliprt::resample::Filter::Bilinear
                                                  : cliprt::resample::Filter::Bicubic;
        cliprt::resample::Window all{0, 0, width, height};
        uLong crc = crc32(0L, Z_NULL, 0);
        if (image.mode == cliprt::PixelMode::I16) {
            std::vector<uint16_t> out = cliprt::resample::resize16(image.pixels16.data(), image.width, image.height,
                                                                   width, height, filter, all);
            crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size() * 2));
        } else {
            std::vector<uint8_t> out =
                cliprt::resample::resize8(image.pixels.data(), image.width, image.height,
                                          cliprt::pixel_mode_channels(image.mode), width, height, filter, all);
            crc = crc32(crc, out.data(), static_cast<uInt>(out.size()));
        }
        EXPECT_EQ(crc, check["crc32"].get<uLong>()) << check.dump();
        ++checked;
    }
    EXPECT_GT(checked, 100);
}

// A window of the resize equals the same part of the whole resize.
TEST(ImageResize, WindowIsPartOfTheWholeResize) {
    Image image = cliprt::decode_image_file(data_path("inputs/coffee_300.png"));
    for (auto filter : {cliprt::resample::Filter::Bicubic, cliprt::resample::Filter::Nearest}) {
        for (auto [w, h] : {std::pair{150, 90}, std::pair{700, 40}, std::pair{31, 500}}) {
            std::vector<uint8_t> whole = cliprt::resample::resize8(image.pixels.data(), image.width, image.height, 3, w,
                                                                   h, filter, {0, 0, w, h});
            cliprt::resample::Window window{w / 3, h / 4, w / 3 + w / 2, h / 4 + h / 3};
            std::vector<uint8_t> part =
                cliprt::resample::resize8(image.pixels.data(), image.width, image.height, 3, w, h, filter, window);
            for (int y = 0; y < window.height(); ++y) {
                for (int x = 0; x < window.width() * 3; ++x) {
                    ASSERT_EQ(part[(y * window.width()) * 3 + x], whole[((y + window.y0) * w + window.x0) * 3 + x]);
                }
            }
        }
    }
}

void expect_decode_error(const std::string& path, const std::string& fragment) {
    try {
        cliprt::decode_image_file(path);
        ADD_FAILURE() << path << " decoded without error";
    } catch (const cliprt::Error& e) {
        std::string message = e.what();
        EXPECT_NE(message.find(path), std::string::npos) << "the message should name the file: " << message;
        EXPECT_NE(message.find(fragment), std::string::npos) << "expected \"" << fragment << "\" in: " << message;
    }
}

TEST(ImageDecode, BadFilesAreClearErrors) {
    expect_decode_error(data_path("bad/empty.png"), "empty");
    expect_decode_error(data_path("bad/truncated.png"), "truncated PNG");
    expect_decode_error(data_path("bad/truncated_header.png"), "truncated PNG");
    expect_decode_error(data_path("bad/truncated.jpg"), "truncated JPEG");
    expect_decode_error(data_path("bad/zero_width.png"), "zero size");
    expect_decode_error(data_path("bad/huge.png"), "more than the limit");
    expect_decode_error(data_path("bad/huge.gif"), "more than the limit");
    expect_decode_error(data_path("bad/not_an_image.png"), "not an image");
    expect_decode_error(data_path("bad/unsupported.webp"), "WebP");
    expect_decode_error(data_path("bad/does_not_exist.png"), "cannot open");
}

// Every prefix of real files: an error or an image, never a crash (run under sanitizers to see more).
TEST(ImageDecode, EveryTruncationIsAnErrorOrAnImage) {
    for (const char* name : {"small_7x5.png", "palette.gif", "palette.bmp", "rgb.tga", "gray.bmp"}) {
        std::vector<uint8_t> bytes = read_input(name);
        for (size_t cut = 0; cut < bytes.size(); ++cut) {
            try {
                Image image = cliprt::decode_image(bytes.data(), cut, name);
                EXPECT_GT(image.width, 0);
            } catch (const cliprt::Error&) {
            }
        }
    }
    // A truncated PNG or JPEG is always an error (Pillow refuses them too); a PNG may lack IEND.
    for (const char* name : {"small_7x5.png", "camera_gray.jpg"}) {
        std::vector<uint8_t> bytes = read_input(name);
        size_t keep = is_jpeg(name) ? 0 : 12;  // IEND chunk
        for (size_t cut = 0; cut + keep < bytes.size(); cut += 7) {
            EXPECT_THROW(cliprt::decode_image(bytes.data(), cut, name), cliprt::Error) << name << " cut at " << cut;
        }
    }
}

// Random byte changes (more of them in the headers): an error or an image, never a crash. The
// same loop ran for 27,000 mutations under AddressSanitizer and UBSan during development.
TEST(ImageDecode, MutatedFilesAreErrorsOrImages) {
    std::mt19937 rng(20261121);
    int images = 0, errors = 0;
    for (const char* name : {"small_7x5.png", "palette_trns.gif", "palette.bmp", "rgb_rle.tga", "camera_gray.jpg",
                             "gray16.png", "rgba.tga"}) {
        std::vector<uint8_t> original = read_input(name);
        for (int round = 0; round < 150; ++round) {
            std::vector<uint8_t> bytes = original;
            for (int k = 0, flips = 1 + static_cast<int>(rng() % 8); k < flips; ++k) {
                size_t range = rng() % 2 ? std::min<size_t>(bytes.size(), 64) : bytes.size();
                bytes[rng() % range] = static_cast<uint8_t>(rng());
            }
            try {
                Image image = cliprt::decode_image(bytes.data(), bytes.size(), name);
                PreprocessConfig config;
                config.width = config.height = 32;
                EXPECT_EQ(cliprt::preprocess_to_rgb8(image, config).size(), 32u * 32 * 3);
                ++images;
            } catch (const cliprt::Error&) {
                ++errors;
            }
        }
    }
    EXPECT_GT(images, 0);
    EXPECT_GT(errors, 0);
}

// A Huffman table with more than 256 codes would make stb_image 2.27 write past its table.
TEST(ImageDecode, ForgedHuffmanTableIsAnError) {
    std::vector<uint8_t> bytes = read_input("camera_gray.jpg");
    size_t dht = 0;
    for (size_t i = 0; i + 1 < bytes.size() && !dht; ++i) {
        if (bytes[i] == 0xFF && bytes[i + 1] == 0xC4) dht = i;
    }
    ASSERT_NE(dht, 0u);
    for (int i = 0; i < 16; ++i) bytes[dht + 5 + i] = 0xFF;
    try {
        cliprt::decode_image(bytes.data(), bytes.size(), "forged.jpg");
        ADD_FAILURE() << "no error for a forged Huffman table";
    } catch (const cliprt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("Huffman"), std::string::npos) << e.what();
    }
}

TEST(ImagePreprocess, ConfigFromJson) {
    PreprocessConfig c = PreprocessConfig::from_json(
        R"({"size": [256, 320], "mean": 0.5, "std": [0.1, 0.2, 0.3], "interpolation": "bilinear",
            "resize_mode": "squash", "fill_color": 7, "mode": "RGB"})");
    EXPECT_EQ(c.height, 256);
    EXPECT_EQ(c.width, 320);
    EXPECT_EQ(c.mean[2], 0.5f);
    EXPECT_EQ(c.std[1], 0.2f);
    EXPECT_EQ(c.interpolation, cliprt::Interpolation::Bilinear);
    EXPECT_EQ(c.resize_mode, cliprt::ResizeMode::Squash);
    EXPECT_EQ(c.fill_color, 7);
    PreprocessConfig d = PreprocessConfig::from_json("{}");
    EXPECT_EQ(d.height, 224);
    EXPECT_EQ(d.mean[0], static_cast<float>(0.48145466));
    EXPECT_THROW(PreprocessConfig::from_json(R"({"interpolation": "lanczos"})"), cliprt::Error);
    EXPECT_THROW(PreprocessConfig::from_json(R"({"resize_mode": "crop"})"), cliprt::Error);
    EXPECT_THROW(PreprocessConfig::from_json(R"({"size": "big"})"), cliprt::Error);
    EXPECT_THROW(PreprocessConfig::from_json(R"({"size": 0})"), cliprt::Error);
    EXPECT_THROW(PreprocessConfig::from_json(R"({"mode": "L"})"), cliprt::Error);
    EXPECT_THROW(PreprocessConfig::from_json("[1, 2"), cliprt::Error);
}

TEST(ImagePreprocess, FileToBatch) {
    PreprocessConfig config;
    std::vector<cliprt::Tensor> images;
    for (const char* name : {"chelsea.png", "camera.png", "rocket.jpg"}) {
        images.push_back(cliprt::preprocess_image_file(data_path(std::string("inputs/") + name), config));
        ASSERT_EQ(images.back().shape(), (cliprt::Shape{3, 224, 224}));
    }
    cliprt::Tensor batch = cliprt::stack_images(images);
    ASSERT_EQ(batch.shape(), (cliprt::Shape{3, 3, 224, 224}));
    EXPECT_EQ(batch.f32()[2 * 3 * 224 * 224 + 5], images[2].f32()[5]);
    EXPECT_THROW(cliprt::stack_images({}), cliprt::Error);
    EXPECT_THROW(cliprt::preprocess_image_file(data_path("bad/empty.png"), config), cliprt::Error);
}

}  // namespace
