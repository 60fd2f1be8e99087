// A data file compiled into the library by cmake/EmbedFiles.cmake.
#pragma once

namespace cliprt {

struct EmbeddedFile {
    const char* name;  // file name without directory and extension
    const char* contents;
};

}  // namespace cliprt
