// libFuzzer: safetensors files (header JSON, offsets, dtypes), opened from a file as cliprt does
// (the input is written to a memory-backed file once per run), then every tensor read.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "cliprt/error.h"
#include "cliprt/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = "/dev/shm/cliprt_fuzz_safetensors_" + std::to_string(::getpid());
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    try {
        const auto file = cliprt::SafetensorsFile::open(path);
        for (const std::string& name : file->names()) {
            try {
                file->read(name).to_f32();
            } catch (const cliprt::Error&) {
            }
        }
    } catch (const cliprt::Error&) {
    }
    std::remove(path.c_str());
    return 0;
}
