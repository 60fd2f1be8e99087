// safetensors reading/writing and the checkpoint WeightSource: round trips, and every malformed
// file must give a cliprt::Error naming the file (and the tensor), never a crash.
#include "cliprt/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cliprt/error.h"
#include "cliprt/weight_source.h"

namespace cliprt {
namespace {

namespace fs = std::filesystem;

// The 8-byte little-endian header length, then the header, then `data_size` bytes of data.
std::string safetensors_bytes(const std::string& header, size_t data_size, uint64_t declared_length) {
    std::string bytes;
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(declared_length >> (8 * i)));
    bytes += header;
    bytes.append(data_size, '\x01');
    return bytes;
}

std::string safetensors_bytes(const std::string& header, size_t data_size) {
    return safetensors_bytes(header, data_size, header.size());
}

Tensor tensor_of(DType dtype, Shape shape) {
    Tensor t(std::move(shape), dtype);
    auto* bytes = static_cast<unsigned char*>(t.data());
    for (size_t i = 0; i < t.nbytes(); ++i) bytes[i] = static_cast<unsigned char>(i * 37 + 11);
    return t;
}

// Opening `path` must throw a cliprt::Error whose message contains every one of `parts`.
void expect_open_error(const std::string& path, const std::vector<std::string>& parts) {
    try {
        SafetensorsFile::open(path);
        ADD_FAILURE() << "no error opening " << path;
    } catch (const Error& e) {
        const std::string message = e.what();
        for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
    }
}

class SafetensorsTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / ("cliprt_" + std::string(info->test_suite_name()) + "_" + info->name() +
                                            "_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    std::string path(const std::string& file) const { return (dir_ / file).string(); }

    std::string write_file(const std::string& file, const std::string& bytes) const {
        // A new file rather than a truncated one: ext4 flushes truncated files on close, which is slow.
        fs::remove(path(file));
        std::ofstream out(path(file), std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return path(file);
    }

    // A valid file with one f32 tensor "w" [2, 2] and one f16 tensor "v" [3].
    std::string write_small_file(const std::string& file) const {
        write_safetensors(path(file), {{"w", tensor_of(DType::F32, {2, 2})}, {"v", tensor_of(DType::F16, {3})}});
        return path(file);
    }

    fs::path dir_;
};

TEST_F(SafetensorsTest, RoundTripsEveryDType) {
    const std::vector<std::pair<std::string, Tensor>> tensors = {
        {"layer.weight", tensor_of(DType::F32, {2, 3})}, {"a.f16", tensor_of(DType::F16, {5})},
        {"b.bf16", tensor_of(DType::BF16, {2, 1, 3})},   {"ids", tensor_of(DType::I32, {3})},
        {"position_ids", tensor_of(DType::I64, {1, 4})}, {"scalar", tensor_of(DType::F32, {})},
        {"empty", tensor_of(DType::F32, {0, 7})},
    };
    const std::string file = path("round_trip.safetensors");
    write_safetensors(file, tensors, {{"format", "pt"}, {"note", "x"}});

    const auto st = SafetensorsFile::open(file);
    EXPECT_EQ(st->path(), file);
    EXPECT_EQ(st->names(),
              (std::vector<std::string>{"a.f16", "b.bf16", "empty", "ids", "layer.weight", "position_ids", "scalar"}));
    EXPECT_EQ(st->metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"note", "x"}}));
    uint64_t offset = 0;
    for (const auto& [name, expected] : tensors) {
        ASSERT_TRUE(st->contains(name));
        const SafetensorsEntry& entry = st->entry(name);
        EXPECT_EQ(entry.name, name);
        EXPECT_EQ(entry.dtype, expected.dtype()) << name;
        EXPECT_EQ(entry.shape, expected.shape()) << name;
        EXPECT_EQ(entry.begin, offset) << name << ": tensors are laid out in the given order";
        offset += expected.nbytes();
        EXPECT_EQ(entry.end, offset) << name;
        const Tensor got = st->read(name);
        EXPECT_EQ(got.dtype(), expected.dtype());
        EXPECT_EQ(got.shape(), expected.shape());
        ASSERT_EQ(got.nbytes(), expected.nbytes());
        if (got.nbytes()) {
            EXPECT_EQ(std::memcmp(got.data(), expected.data(), got.nbytes()), 0) << name;
        }
    }

    // Header padded with spaces so the data starts 8-byte aligned.
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = header_size << 8 | static_cast<unsigned char>(bytes[i]);
    EXPECT_EQ(header_size % 8, 0u);
    EXPECT_EQ(bytes.size(), 8 + header_size + offset);
    EXPECT_EQ(bytes[8], '{');
    const std::string header = bytes.substr(8, header_size);
    EXPECT_EQ(header.find_last_not_of(' '), header.rfind('}'));
}

// Aligned tensors are read in place: a view of the mapping that outlives the file object, with
// the first write copying the bytes (the mapping is read-only). A misaligned one is copied.
TEST_F(SafetensorsTest, ReadsAlignedTensorsInPlace) {
    // "odd" (3 f16 values, 6 bytes) puts "w" at offset 22: not aligned to f32.
    write_safetensors(
        path("views.safetensors"),
        {{"a", tensor_of(DType::F32, {4})}, {"odd", tensor_of(DType::F16, {3})}, {"w", tensor_of(DType::F32, {2, 2})}});
    Tensor a, w;
    {
        const auto st = SafetensorsFile::open(path("views.safetensors"));
        a = st->read("a");
        w = st->read("w");
    }  // the file object is gone; the view keeps the mapping
    const Tensor expected = tensor_of(DType::F32, {4});
    EXPECT_TRUE(a.is_view());
    EXPECT_FALSE(w.is_view()) << "offset 22 is not aligned to f32: copied";
    ASSERT_EQ(a.nbytes(), expected.nbytes());
    EXPECT_EQ(std::memcmp(std::as_const(a).data(), expected.data(), a.nbytes()), 0);
    const Tensor copy = a;  // copies share the view
    EXPECT_TRUE(copy.is_view());
    a.f32()[0] = 42.0f;  // copy on write
    EXPECT_FALSE(a.is_view());
    EXPECT_EQ(a.f32()[0], 42.0f);
    EXPECT_EQ(std::memcmp(copy.data(), expected.data(), copy.nbytes()), 0) << "the view is unchanged";
    EXPECT_EQ(std::memcmp(static_cast<const unsigned char*>(std::as_const(a).data()) + 4,
                          static_cast<const unsigned char*>(expected.data()) + 4, 12),
              0);
}

TEST_F(SafetensorsTest, WriteRejectsDuplicateNames) {
    EXPECT_THROW(write_safetensors(path("dup.safetensors"),
                                   {{"a", tensor_of(DType::F32, {1})}, {"a", tensor_of(DType::F32, {1})}}),
                 Error);
}

TEST_F(SafetensorsTest, MissingEntryNamesTensorAndFile) {
    const auto st = SafetensorsFile::open(write_small_file("small.safetensors"));
    try {
        st->read("nope");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tensor 'nope' not found in " + st->path()), std::string::npos);
    }
}

TEST_F(SafetensorsTest, NonexistentFile) {
    expect_open_error(path("does_not_exist.safetensors"), {path("does_not_exist.safetensors")});
}

TEST_F(SafetensorsTest, EmptyFile) {
    const std::string file = write_file("empty.safetensors", "");
    expect_open_error(file, {file, "shorter than"});
}

TEST_F(SafetensorsTest, FileShorterThanEightBytes) {
    const std::string file = write_file("short.safetensors", std::string("\x10\0\0\0\0", 5));
    expect_open_error(file, {file, "shorter than"});
}

TEST_F(SafetensorsTest, HeaderLongerThanFile) {
    const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    const std::string file = write_file("long_header.safetensors", safetensors_bytes(header, 4, 4096));
    expect_open_error(file, {file, "header longer than file"});
}

TEST_F(SafetensorsTest, AbsurdHeaderLength) {
    // A sparse file big enough that a 300 MiB header fits, so only the size limit can reject it.
    const uint64_t declared = 300ull << 20;
    const std::string file = write_file("absurd.safetensors", safetensors_bytes("{}", 0, declared));
    fs::resize_file(file, 8 + declared);
    expect_open_error(file, {file, "256 MiB"});
}

TEST_F(SafetensorsTest, TruncatedData) {
    const std::string full = write_small_file("full.safetensors");
    std::ifstream in(full, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // "v" (f16 [3], 6 bytes) is last: cutting 2 bytes leaves its end past the data section.
    const std::string file = write_file("cut.safetensors", bytes.substr(0, bytes.size() - 2));
    expect_open_error(file, {file, "'v'", "offsets past the end of " + file});

    // Every shorter prefix of a valid file is rejected with an Error.
    for (size_t size = 0; size < bytes.size(); ++size) {
        const std::string prefix = write_file("prefix.safetensors", bytes.substr(0, size));
        EXPECT_THROW(SafetensorsFile::open(prefix), Error) << "prefix of " << size << " bytes";
    }
}

TEST_F(SafetensorsTest, OffsetsPastTheEnd) {
    const std::string header = R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
    const std::string file = write_file("past_end.safetensors", safetensors_bytes(header, 8));
    expect_open_error(file, {"tensor 'w'", "offsets past the end of " + file});

    const std::string huge =
        R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[18446744073709551600,18446744073709551615]}})";
    const std::string huge_file = write_file("huge_offsets.safetensors", safetensors_bytes(huge, 16));
    expect_open_error(huge_file, {"tensor 'w'", "offsets past the end of " + huge_file});
}

TEST_F(SafetensorsTest, UnknownDType) {
    const std::string header = R"({"w":{"dtype":"F48","shape":[1],"data_offsets":[0,4]}})";
    const std::string file = write_file("unknown_dtype.safetensors", safetensors_bytes(header, 4));
    expect_open_error(file, {"unknown dtype F48 of tensor 'w' in " + file});
}

TEST_F(SafetensorsTest, UnsupportedDType) {
    for (const std::string dtype : {"F64", "U8", "BOOL", "F8_E4M3"}) {
        const std::string header = R"({"w":{"dtype":")" + dtype + R"(","shape":[1],"data_offsets":[0,8]}})";
        const std::string file = write_file("unsupported_dtype.safetensors", safetensors_bytes(header, 8));
        expect_open_error(file, {"unsupported dtype " + dtype + " of tensor 'w' in " + file});
    }
}

TEST_F(SafetensorsTest, ShapeSizeMismatch) {
    const std::string header = R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})";
    const std::string file = write_file("mismatch.safetensors", safetensors_bytes(header, 8));
    expect_open_error(file, {file, "tensor 'w'", "shape/size mismatch"});

    // numel * 4 overflows 64 bits: must be a mismatch, not a wrap-around that happens to fit.
    const std::string overflow = R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,0]}})";
    const std::string overflow_file = write_file("overflow.safetensors", safetensors_bytes(overflow, 0));
    expect_open_error(overflow_file, {overflow_file, "tensor 'w'", "shape/size mismatch"});
}

TEST_F(SafetensorsTest, OverlappingTensors) {
    const std::string header = R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},)"
                               R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    const std::string file = write_file("overlap.safetensors", safetensors_bytes(header, 12));
    expect_open_error(file, {file, "'a'", "'b'", "overlap"});

    // A range nested inside a longer one overlaps too.
    const std::string nested = R"({"outer":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                               R"("first":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                               R"("inner":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
    const std::string nested_file = write_file("nested.safetensors", safetensors_bytes(nested, 16));
    expect_open_error(nested_file, {nested_file, "overlap"});
}

TEST_F(SafetensorsTest, EmptyTensorsDoNotOverlap) {
    const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})";
    const auto st = SafetensorsFile::open(write_file("empty_tensor.safetensors", safetensors_bytes(header, 8)));
    EXPECT_EQ(st->read("z").numel(), 0);
}

TEST_F(SafetensorsTest, InvalidJson) {
    const std::string file = write_file("invalid.safetensors", safetensors_bytes("{\"w\": {", 0));
    expect_open_error(file, {file, "not valid JSON"});
    const std::string array = write_file("array.safetensors", safetensors_bytes("[1, 2]  ", 0));
    expect_open_error(array, {array, "not a JSON object"});
}

TEST_F(SafetensorsTest, MalformedEntries) {
    const std::vector<std::string> entries = {
        R"("w":5)",
        R"("w":{"shape":[1],"data_offsets":[0,4]})",
        R"("w":{"dtype":7,"shape":[1],"data_offsets":[0,4]})",
        R"("w":{"dtype":"F32","data_offsets":[0,4]})",
        R"("w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]})",
        R"("w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]})",
        R"("w":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]})",
        R"("w":{"dtype":"F32","shape":[1]})",
        R"("w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]})",
        R"("w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})",
        R"("w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]})",
        R"("w":{"dtype":"F32","shape":[1],"data_offsets":{"begin":0}})",
    };
    for (const std::string& entry : entries) {
        SCOPED_TRACE(entry);
        const std::string file = write_file("malformed.safetensors", safetensors_bytes("{" + entry + "}", 8));
        expect_open_error(file, {file, "'w'"});
    }
    for (const std::string metadata : {R"("__metadata__":[1])", R"("__metadata__":{"format":1})"}) {
        SCOPED_TRACE(metadata);
        const std::string file = write_file("metadata.safetensors", safetensors_bytes("{" + metadata + "}", 0));
        expect_open_error(file, {file, "metadata"});
    }
}

TEST_F(SafetensorsTest, RandomCorruptionNeverCrashes) {
    const std::string full = write_small_file("valid.safetensors");
    std::ifstream in(full, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::mt19937 rng(1234);
    std::uniform_int_distribution<size_t> position(0, bytes.size() - 1);
    std::uniform_int_distribution<int> value(0, 255);
    const std::string interesting = "{}[]\",:0123456789-. e";
    for (int round = 0; round < 2000; ++round) {
        std::string mutated = bytes;
        const int flips = 1 + round % 3;
        for (int i = 0; i < flips; ++i) {
            const size_t at = position(rng);
            mutated[at] = (round % 2) ? static_cast<char>(value(rng))
                                      : interesting[static_cast<size_t>(value(rng)) % interesting.size()];
        }
        const std::string file = write_file("mutated.safetensors", mutated);
        try {
            const auto st = SafetensorsFile::open(file);
            for (const std::string& name : st->names()) st->read(name);
        } catch (const Error&) {
            // Rejected cleanly; any other exception type fails the test.
        }
    }
}

class SafetensorsWeightsTest : public SafetensorsTest {};

TEST_F(SafetensorsWeightsTest, ConvertsToF32AndReportsUnused) {
    const Tensor weight = Tensor::from_f32({2, 3}, {1.0f, -2.0f, 0.5f, 3.0f, 0.25f, -1.5f});
    const std::string file = path("model.safetensors");
    write_safetensors(file, {{"w.f16", weight.to_dtype(DType::F16)},
                             {"w.bf16", weight.to_dtype(DType::BF16)},
                             {"w.f32", weight},
                             {"extra.weight", weight},
                             {"bn.num_batches_tracked", tensor_of(DType::I64, {})},
                             {"text.position_ids", tensor_of(DType::I64, {1, 4})}});
    SafetensorsWeights source({SafetensorsFile::open(file)});
    EXPECT_EQ(source.describe(), file);
    for (const std::string name : {"w.f16", "w.bf16", "w.f32"}) {
        const Tensor got = source.get(name, {2, 3});
        ASSERT_EQ(got.dtype(), DType::F32);
        EXPECT_EQ(std::vector<float>(got.f32(), got.f32() + 6), std::vector<float>(weight.f32(), weight.f32() + 6))
            << name;
    }
    EXPECT_EQ(source.unused_names(), std::vector<std::string>{"extra.weight"});
}

TEST_F(SafetensorsWeightsTest, MissingTensor) {
    const std::string file = write_small_file("small.safetensors");
    SafetensorsWeights source({SafetensorsFile::open(file)});
    EXPECT_FALSE(source.has("missing.weight"));
    try {
        source.get("missing.weight", {2});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "tensor 'missing.weight' is missing from " + file);
    }
}

TEST_F(SafetensorsWeightsTest, WrongShape) {
    const std::string file = write_small_file("small.safetensors");
    SafetensorsWeights source({SafetensorsFile::open(file)});
    try {
        source.get("w", {4});
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "tensor 'w' in " + file + " has shape [2, 2], expected [4]");
    }
}

TEST_F(SafetensorsWeightsTest, ShardedFiles) {
    const std::string first = path("model-00001.safetensors");
    const std::string second = path("model-00002.safetensors");
    write_safetensors(first, {{"a", tensor_of(DType::F32, {2})}});
    write_safetensors(second, {{"b", tensor_of(DType::F32, {3})}, {"c", tensor_of(DType::F32, {1})}});
    SafetensorsWeights source({SafetensorsFile::open(first), SafetensorsFile::open(second)});
    EXPECT_EQ(source.describe(), "2 files: " + first + ", ...");
    EXPECT_EQ(source.get("b", {3}).numel(), 3);
    EXPECT_EQ(source.get("a", {2}).numel(), 2);
    EXPECT_EQ(source.unused_names(), std::vector<std::string>{"c"});
}

}  // namespace
}  // namespace cliprt
