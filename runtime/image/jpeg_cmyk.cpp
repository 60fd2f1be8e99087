// libjpeg's errors end in longjmp back to decode_cmyk_jpeg (its default handler exits the
// process); nothing with a destructor lives between setjmp and the libjpeg calls.
#include "image/jpeg_cmyk.h"

#include <jpeglib.h>

#include <csetjmp>
#include <cstdio>

#include "cliprt/error.h"

namespace cliprt {
namespace {

struct ErrorManager {
    jpeg_error_mgr base;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr cinfo) {
    auto* errors = reinterpret_cast<ErrorManager*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, errors->message);
    std::longjmp(errors->jump, 1);
}

void on_message(j_common_ptr, int) {}  // warnings (e.g. corrupt data recovered) are not printed

// Decodes into `out` (sized by the caller); returns false with `errors.message` set on failure.
bool run_libjpeg(const uint8_t* data, size_t size, int width, int height, uint8_t* out, ErrorManager& errors,
                 int& got_width, int& got_height, int& got_components) {
    jpeg_decompress_struct cinfo;
    cinfo.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = on_error;
    errors.base.emit_message = on_message;
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return false;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
    jpeg_read_header(&cinfo, TRUE);
    got_width = static_cast<int>(cinfo.image_width);
    got_height = static_cast<int>(cinfo.image_height);
    got_components = cinfo.num_components;
    if (cinfo.jpeg_color_space != JCS_CMYK && cinfo.jpeg_color_space != JCS_YCCK) got_components = -1;
    if (got_width != width || got_height != height || got_components != 4) {
        jpeg_destroy_decompress(&cinfo);
        return true;  // the caller reports the mismatch
    }
    cinfo.out_color_space = JCS_CMYK;  // libjpeg converts YCCK; CMYK passes through
    jpeg_start_decompress(&cinfo);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out + static_cast<size_t>(cinfo.output_scanline) * width * 4;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return true;
}

}  // namespace

std::vector<uint8_t> decode_cmyk_jpeg(const uint8_t* data, size_t size, int width, int height,
                                      const std::string& name) {
    std::vector<uint8_t> cmyk(static_cast<size_t>(width) * height * 4);
    ErrorManager errors{};
    int got_width = 0, got_height = 0, got_components = 0;
    if (!run_libjpeg(data, size, width, height, cmyk.data(), errors, got_width, got_height, got_components))
        fail(name, ": cannot decode the CMYK JPEG image (libjpeg: ", errors.message, ")");
    if (got_components == -1) fail(name, ": the 4-component JPEG is neither CMYK nor YCCK");
    if (got_width != width || got_height != height || got_components != 4)
        fail(name, ": libjpeg reads a ", got_width, "x", got_height, " image with ", got_components,
             " components, not the 4-component ", width, "x", height, " image of the headers");
    for (uint8_t& v : cmyk) v = static_cast<uint8_t>(255 - v);  // rawmode CMYK;I
    return cmyk;
}

}  // namespace cliprt
