// Images that cost far more to decode than their file size suggests, and files too large to read:
// refused from the headers (or the file size) before anything is decoded or read whole (issue 19,
// items 3 and 10).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <string>
#include <vector>

#include "cliprt/error.h"
#include "cliprt/image.h"
#include "search_test_support.h"

namespace {

void put_be32(std::string& out, uint32_t v) {
    for (int shift : {24, 16, 8, 0}) out += static_cast<char>((v >> shift) & 0xFF);
}

void put_chunk(std::string& png, const char* type, const std::string& data) {
    put_be32(png, static_cast<uint32_t>(data.size()));
    std::string body = std::string(type, 4) + data;
    png += body;
    put_be32(png, static_cast<uint32_t>(
                      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

// A PNG with this header and a short (not decodable) IDAT: enough for the header checks.
std::string png_header_only(uint32_t width, uint32_t height, int depth, int color) {
    std::string png("\x89PNG\r\n\x1a\n", 8);
    std::string ihdr;
    put_be32(ihdr, width);
    put_be32(ihdr, height);
    ihdr += static_cast<char>(depth);
    ihdr += static_cast<char>(color);
    ihdr += std::string(3, '\0');
    put_chunk(png, "IHDR", ihdr);
    put_chunk(png, "IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8));
    put_chunk(png, "IEND", "");
    return png;
}

std::string decode_error(const std::string& bytes, const std::string& name) {
    try {
        cliprt::decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), name);
    } catch (const cliprt::Error& e) {
        return e.what();
    }
    return "";
}

TEST(ImageDecodeBudget, GifCanvasIsCountedBeforeDecoding) {
    // 35 bytes: a 13000x13000 canvas (169 Mpixels, under the pixel limit) with a 1x1 frame.
    std::string gif = "GIF89a";
    gif += std::string("\xC8\x32\xC8\x32\x80\x00\x00", 7);
    gif += std::string("\x00\x00\x00\xFF\xFF\xFF", 6);
    gif += std::string("\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x00", 10);
    gif += std::string("\x02\x02\x44\x01\x00\x3B", 6);
    const std::string message = decode_error(gif, "bomb.gif");
    EXPECT_NE(message.find("bomb.gif: decoding this 13000x13000 GIF would need about"), std::string::npos) << message;
    EXPECT_NE(message.find("MiB, more than the limit of 1024 MiB"), std::string::npos) << message;
}

TEST(ImageDecodeBudget, SixteenBitSamplesCountTwice) {
    // 6000x6000 RGBA: within the budget at 8 bits (stb then fails on the dummy IDAT), over it at 16.
    const std::string eight = decode_error(png_header_only(6000, 6000, 8, 6), "eight.png");
    EXPECT_EQ(eight.find("more than the limit"), std::string::npos) << eight;
    EXPECT_NE(eight.find("cannot decode"), std::string::npos) << eight;
    const std::string sixteen = decode_error(png_header_only(6000, 6000, 16, 6), "sixteen.png");
    EXPECT_NE(sixteen.find("sixteen.png: decoding this 6000x6000 16-bit PNG"), std::string::npos) << sixteen;
    EXPECT_NE(sixteen.find("more than the limit of 1024 MiB"), std::string::npos) << sixteen;
}

// A 3 GB sparse file: refused from its first bytes and its size, without reading or allocating it.
TEST(ImageDecodeBudget, HugeFilesAreRefusedBeforeReading) {
    cliprt::test::TempDir dir;
    const std::string png = dir / "huge.png", zeros = dir / "zeros.png";
    cliprt::test::write_file(png, png_header_only(100, 100, 8, 2));
    cliprt::test::write_file(zeros, "");
    for (const std::string& path : {png, zeros}) ASSERT_EQ(::truncate(path.c_str(), int64_t{3} << 30), 0) << path;
    try {
        cliprt::decode_image_file(png);
        ADD_FAILURE() << "a 3 GiB file was decoded";
    } catch (const cliprt::Error& e) {
        EXPECT_NE(std::string(e.what()).find(png + ": the image file is 3072 MiB, more than the decode limit"),
                  std::string::npos)
            << e.what();
    }
    try {
        cliprt::decode_image_file(zeros);
        ADD_FAILURE() << "a file of zeros was decoded";
    } catch (const cliprt::Error& e) {
        EXPECT_NE(std::string(e.what()).find("not an image file"), std::string::npos) << e.what();
    }
}

}  // namespace
