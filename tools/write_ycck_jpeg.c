/* Writes a YCCK JPEG (Adobe marker, transform 2) with libjpeg, which Pillow cannot write: raw
 * 4-byte-per-pixel samples on stdin (stored as Adobe's inverted CMYK, as Pillow writes CMYK),
 * the JPEG on stdout. Development time only, for tools/make_hf_semantics_fixtures.py:
 *     gcc -O2 -o write_ycck_jpeg tools/write_ycck_jpeg.c -ljpeg
 *     write_ycck_jpeg WIDTH HEIGHT QUALITY < samples > out.jpg */
#include <jpeglib.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
    if (argc != 4) return 2;
    const int width = atoi(argv[1]), height = atoi(argv[2]), quality = atoi(argv[3]);
    unsigned char* samples = malloc((size_t)width * height * 4);
    if (!samples || fread(samples, 4, (size_t)width * height, stdin) != (size_t)width * height) return 1;
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, stdout);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 4;
    cinfo.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_colorspace(&cinfo, JCS_YCCK);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = samples + (size_t)cinfo.next_scanline * width * 4;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(samples);
    return 0;
}
