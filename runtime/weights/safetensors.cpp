#include "cliprt/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "cliprt/config_json.h"
#include "cliprt/error.h"

namespace cliprt {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 256ull << 20;

struct DTypeName {
    const char* name;
    DType dtype;
};
constexpr DTypeName kSupportedDTypes[] = {
    {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"I32", DType::I32}, {"I64", DType::I64}};
// Valid safetensors dtypes that cliprt does not load.
constexpr const char* kUnsupportedDTypes[] = {"F64", "I8",  "U8",   "I16",     "U16",
                                              "U32", "U64", "BOOL", "F8_E4M3", "F8_E5M2"};

const char* safetensors_dtype_name(DType dtype) {
    for (const auto& d : kSupportedDTypes) {
        if (d.dtype == dtype) return d.name;
    }
    fail("dtype ", dtype_name(dtype), " cannot be written to safetensors");
}

// Closes a file descriptor on every exit path of open().
struct FileDescriptor {
    int fd;
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
};

// A JSON integer that is >= 0, as uint64 (false for floats, negatives, other types).
bool non_negative_integer(const json& value, uint64_t& out) {
    if (value.is_number_unsigned()) {
        out = value.get<uint64_t>();
        return true;
    }
    if (value.is_number_integer() && value.get<int64_t>() >= 0) {
        out = static_cast<uint64_t>(value.get<int64_t>());
        return true;
    }
    return false;
}

// Validates one tensor entry of the header against a data section of data_size bytes.
SafetensorsEntry parse_entry(const std::string& path, const std::string& name, const json& info, uint64_t data_size) {
    const auto bad = [&](const auto&... parts) { fail("tensor '", name, "' in ", path, ": ", parts...); };
    if (!info.is_object()) bad("header entry is not an object");

    SafetensorsEntry entry;
    entry.name = name;

    const auto dtype_it = info.find("dtype");
    if (dtype_it == info.end() || !dtype_it->is_string()) bad("missing or non-string \"dtype\"");
    const std::string dtype = dtype_it->get<std::string>();
    const auto supported = std::find_if(std::begin(kSupportedDTypes), std::end(kSupportedDTypes),
                                        [&](const DTypeName& d) { return dtype == d.name; });
    if (supported == std::end(kSupportedDTypes)) {
        const bool known = std::find(std::begin(kUnsupportedDTypes), std::end(kUnsupportedDTypes), dtype) !=
                           std::end(kUnsupportedDTypes);
        fail(known ? "unsupported" : "unknown", " dtype ", dtype, " of tensor '", name, "' in ", path,
             " (supported: F32, F16, BF16, I32, I64)");
    }
    entry.dtype = supported->dtype;

    const auto shape_it = info.find("shape");
    if (shape_it == info.end() || !shape_it->is_array()) bad("missing or non-array \"shape\"");
    std::vector<int64_t> dims;
    uint64_t numel = 1;
    bool numel_overflow = false;
    for (const json& d : *shape_it) {
        uint64_t dim = 0;
        if (!non_negative_integer(d, dim) || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            bad("\"shape\" is not a list of non-negative integers");
        numel_overflow |= __builtin_mul_overflow(numel, dim, &numel);
        dims.push_back(static_cast<int64_t>(dim));
    }
    entry.shape = Shape(std::move(dims));

    const auto offsets_it = info.find("data_offsets");
    if (offsets_it == info.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
        !non_negative_integer((*offsets_it)[0], entry.begin) || !non_negative_integer((*offsets_it)[1], entry.end) ||
        entry.begin > entry.end)
        bad("\"data_offsets\" must be [begin, end] with 0 <= begin <= end");

    if (entry.end > data_size)
        fail("tensor '", name, "': data offsets past the end of ", path, " (", offsets_it->dump(),
             " but the data section has ", data_size, " bytes; truncated file?)");

    uint64_t nbytes = 0;
    if (numel_overflow || __builtin_mul_overflow(numel, dtype_size(entry.dtype), &nbytes) ||
        nbytes != entry.end - entry.begin)
        fail("tensor '", name, "' in ", path, ": shape/size mismatch: ", dtype, " ", entry.shape, " needs ",
             numel_overflow ? std::string("more than 2^64")
                            : std::to_string(numel) + " x " + std::to_string(dtype_size(entry.dtype)),
             " bytes but data_offsets span ", entry.end - entry.begin);
    return entry;
}

}  // namespace

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
    std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
    file->path_ = path;

    FileDescriptor fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) fail("cannot open safetensors file ", path, ": ", std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) fail("cannot stat ", path, ": ", std::strerror(errno));
    if (!S_ISREG(st.st_mode)) fail(path, " is not a regular file");
    const uint64_t file_size = static_cast<uint64_t>(st.st_size);
    if (file_size < 8)
        fail(path, " is not a safetensors file: ", file_size, " bytes, shorter than the 8-byte header length");

    void* map = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd.fd, 0);
    if (map == MAP_FAILED) fail("cannot mmap ", path, ": ", std::strerror(errno));
    file->map_ = map;  // from here on the destructor unmaps, also when validation throws
    file->map_size_ = file_size;
    const auto* bytes = static_cast<const unsigned char*>(map);

    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = header_size << 8 | bytes[i];
    if (header_size > file_size - 8)
        fail(path, ": header longer than file (", header_size, " bytes declared, file has ", file_size,
             "; truncated or not a safetensors file?)");
    if (header_size > kMaxHeaderBytes)
        fail(path, ": header of ", header_size, " bytes is larger than the 256 MiB limit");
    const uint64_t data_size = file_size - 8 - header_size;
    file->data_ = bytes + 8 + header_size;

    const char* header_begin = reinterpret_cast<const char*>(bytes + 8);
    // Depth-bounded: a header nested thousands deep would overflow the stack in recursive json code.
    const json header =
        config_json::parse(header_begin, header_begin + header_size, path + ": header (not valid JSON)");
    if (!header.is_object()) fail(path, ": header is not a JSON object");

    try {
        for (const auto& [name, info] : header.items()) {
            if (name == "__metadata__") {
                if (!info.is_object()) fail(path, ": \"__metadata__\" is not an object");
                for (const auto& [key, value] : info.items()) {
                    if (!value.is_string()) fail(path, ": metadata value of '", key, "' is not a string");
                    file->metadata_[key] = value.get<std::string>();
                }
                continue;
            }
            file->entries_[name] = parse_entry(path, name, info, data_size);
        }
    } catch (const json::exception& e) {  // defensive: every access above is type-checked
        fail(path, ": malformed header: ", e.what());
    }

    // Overlap check over non-empty ranges, sorted by start; `furthest` is the entry reaching farthest.
    std::vector<const SafetensorsEntry*> sorted;
    for (const auto& [name, entry] : file->entries_) {
        if (entry.begin != entry.end) sorted.push_back(&entry);
    }
    std::sort(sorted.begin(), sorted.end(), [](const SafetensorsEntry* a, const SafetensorsEntry* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    const SafetensorsEntry* furthest = nullptr;
    for (const SafetensorsEntry* entry : sorted) {
        if (furthest && entry->begin < furthest->end)
            fail("tensors '", furthest->name, "' [", furthest->begin, ", ", furthest->end, ") and '", entry->name,
                 "' [", entry->begin, ", ", entry->end, ") overlap in ", path);
        if (!furthest || entry->end > furthest->end) furthest = entry;
    }
    return file;
}

SafetensorsFile::~SafetensorsFile() {
    if (map_) ::munmap(map_, map_size_);
}

std::vector<std::string> SafetensorsFile::names() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) fail("tensor '", name, "' not found in ", path_);
    return it->second;
}

Tensor SafetensorsFile::read(const std::string& name) const {
    const SafetensorsEntry& e = entry(name);
    const unsigned char* bytes = data_ + e.begin;
    if (e.end > e.begin && reinterpret_cast<uintptr_t>(bytes) % dtype_size(e.dtype) == 0)
        return Tensor::view(e.shape, e.dtype, bytes, shared_from_this());
    Tensor out(e.shape, e.dtype);
    if (e.end > e.begin) std::memcpy(out.data(), bytes, e.end - e.begin);
    return out;
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        if (name == "__metadata__" || header.contains(name))
            fail("cannot write ", path, ": duplicate or reserved tensor name '", name, "'");
        header[name] = {{"dtype", safetensors_dtype_name(tensor.dtype())},
                        {"shape", tensor.shape().dims()},
                        {"data_offsets", {offset, offset + tensor.nbytes()}}};
        offset += tensor.nbytes();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // data starts 8-byte aligned, as in the reference writer

    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot create ", path, ": ", std::strerror(errno));
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));
    out.write(reinterpret_cast<const char*>(length), sizeof length);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& [name, tensor] : tensors)
        out.write(static_cast<const char*>(tensor.data()), static_cast<std::streamsize>(tensor.nbytes()));
    out.close();
    if (!out) fail("error writing ", path);
}

}  // namespace cliprt
