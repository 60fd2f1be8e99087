// safetensors files (the format of Hugging Face and open_clip hub checkpoints), read by mmap.
//
// Layout: 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the data. Every offset, size, dtype and shape is checked when the file is opened: a
// truncated file, a header longer than the file, offsets past the end or overlapping, a dtype we
// do not know, or a size that disagrees with the shape is an Error naming the file and tensor.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cliprt/tensor.h"

namespace cliprt {

struct SafetensorsEntry {
    std::string name;
    DType dtype = DType::F32;
    Shape shape;
    uint64_t begin = 0;  // byte offsets relative to the start of the data section
    uint64_t end = 0;
};

class SafetensorsFile : public std::enable_shared_from_this<SafetensorsFile> {
public:
    // Maps and validates the file; throws Error on any inconsistency.
    static std::shared_ptr<SafetensorsFile> open(const std::string& path);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::string& path() const { return path_; }
    std::vector<std::string> names() const;  // sorted
    bool contains(const std::string& name) const { return entries_.count(name) != 0; }
    // Throws Error "tensor 'X' not found in FILE" when missing.
    const SafetensorsEntry& entry(const std::string& name) const;
    // The tensor in its stored dtype, viewed in the mapping (which it keeps alive), or a copy
    // where its bytes are not aligned to the dtype.
    Tensor read(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

private:
    SafetensorsFile() = default;
    std::string path_;
    void* map_ = nullptr;
    size_t map_size_ = 0;
    const unsigned char* data_ = nullptr;  // start of the data section
    std::map<std::string, SafetensorsEntry> entries_;
    std::map<std::string, std::string> metadata_;
};

// Writes tensors (f32, f16, bf16, i32, i64) in safetensors format, in the given order.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace cliprt
