// Pillow's resampling (Resample.c: precompute_coeffs, normalize_coeffs_8bpc, the 8bpc and 16bpc
// passes, ImagingResampleInner's pass order; Geometry.c: ImagingScaleAffine for NEAREST). The
// arithmetic follows the C source expression by expression, since rounding depends on it.
#include "image/image_resize.h"

#include <algorithm>
#include <cmath>

#include "cliprt/error.h"

namespace cliprt::resample {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

double bilinear_filter(double x) {
    if (x < 0.0) x = -x;
    if (x < 1.0) return 1.0 - x;
    return 0.0;
}

double bicubic_filter(double x) {
    constexpr double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

// Filter weights of output positions [first, last) along one axis: for each, the first input
// index and count, and `ksize` weights.
struct Coefficients {
    int ksize = 0;
    std::vector<int> start, count;
    std::vector<double> weights;  // normalized to sum 1
    std::vector<int32_t> fixed;   // 8bpc: weights in fixed point
    int first_input() const { return start.front(); }
    int end_input() const { return start.back() + count.back(); }
};

Coefficients precompute(int in_size, int out_size, Filter filter, int first, int last) {
    double (*kernel)(double) = filter == Filter::Bicubic ? bicubic_filter : bilinear_filter;
    double filter_support = filter == Filter::Bicubic ? 2.0 : 1.0;
    // in1 - in0 is computed in float by Pillow (the box is float[4]).
    double scale = static_cast<double>(static_cast<float>(in_size) - 0.0f) / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = filter_support * filterscale;
    Coefficients c;
    c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
    size_t n = static_cast<size_t>(last - first);
    c.start.resize(n);
    c.count.resize(n);
    c.weights.assign(n * c.ksize, 0.0);
    double inv_filterscale = 1.0 / filterscale;
    for (int xx = first; xx < last; ++xx) {
        size_t i = static_cast<size_t>(xx - first);
        double center = 0.0 + (xx + 0.5) * scale;
        double ww = 0.0;
        int xmin = static_cast<int>(center - support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = static_cast<int>(center + support + 0.5);
        if (xmax > in_size) xmax = in_size;
        xmax -= xmin;
        double* k = &c.weights[i * c.ksize];
        for (int x = 0; x < xmax; ++x) {
            double w = kernel((x + xmin - center + 0.5) * inv_filterscale);
            k[x] = w;
            ww += w;
        }
        if (ww != 0.0) {
            for (int x = 0; x < xmax; ++x) k[x] /= ww;
        }
        c.start[i] = xmin;
        c.count[i] = xmax;
    }
    c.fixed.resize(c.weights.size());
    for (size_t i = 0; i < c.weights.size(); ++i) {
        double w = c.weights[i];
        c.fixed[i] = w < 0 ? static_cast<int32_t>(-0.5 + w * (1 << kPrecisionBits))
                           : static_cast<int32_t>(0.5 + w * (1 << kPrecisionBits));
    }
    return c;
}

// An axis that keeps its size: each output takes its input sample with weight one, which leaves
// the values exactly as Pillow's skipped pass does.
Coefficients identity(int first, int last) {
    Coefficients c;
    c.ksize = 1;
    for (int x = first; x < last; ++x) {
        c.start.push_back(x);
        c.count.push_back(1);
    }
    c.weights.assign(c.start.size(), 1.0);
    c.fixed.assign(c.start.size(), 1 << kPrecisionBits);
    return c;
}

// 8bpc: integer accumulation from one half, then clip8(ss >> PRECISION_BITS).
struct Fixed8 {
    using Sample = uint8_t;
    using Acc = int32_t;
    static const int32_t* weights(const Coefficients& c) { return c.fixed.data(); }
    static Acc init() { return 1 << (kPrecisionBits - 1); }
    static Sample finish(Acc ss) { return static_cast<Sample>(std::clamp(ss >> kPrecisionBits, 0, 255)); }
};

// 16bpc: double accumulation, ROUND_UP, CLIP16.
struct Double16 {
    using Sample = uint16_t;
    using Acc = double;
    static const double* weights(const Coefficients& c) { return c.weights.data(); }
    static Acc init() { return 0.0; }
    static Sample finish(Acc ss) {
        int v = static_cast<int>(ss >= 0.0 ? ss + 0.5F : ss - 0.5F);
        return static_cast<Sample>(std::clamp(v, 0, 65535));
    }
};

// A block of interleaved samples; (0, 0) sits at (x_origin, y_origin) of its coordinate space.
template <typename T>
struct Plane {
    int width = 0, height = 0, channels = 0, x_origin = 0, y_origin = 0;
    size_t stride = 0;  // samples per row
    const T* data = nullptr;
    std::vector<T> storage;
    const T* row(int y) const { return data + static_cast<size_t>(y - y_origin) * stride; }
};

template <typename T>
Plane<T> owned(int width, int height, int channels, int x_origin, int y_origin) {
    Plane<T> p;
    p.width = width, p.height = height, p.channels = channels, p.x_origin = x_origin, p.y_origin = y_origin;
    p.stride = static_cast<size_t>(width) * channels;
    p.storage.resize(p.stride * height);
    p.data = p.storage.data();
    return p;
}

// Horizontal pass over every row of `in`; output columns are the coefficient positions.
template <typename K>
Plane<typename K::Sample> horizontal(const Plane<typename K::Sample>& in, const Coefficients& c, int out_x0) {
    using T = typename K::Sample;
    int n = static_cast<int>(c.start.size()), channels = in.channels;
    Plane<T> out = owned<T>(n, in.height, channels, out_x0, in.y_origin);
    const auto* weights = K::weights(c);
    for (int y = 0; y < in.height; ++y) {
        const T* line = in.row(in.y_origin + y);
        T* dst = out.storage.data() + static_cast<size_t>(y) * out.stride;
        for (int xx = 0; xx < n; ++xx) {
            const auto* k = weights + static_cast<size_t>(xx) * c.ksize;
            const T* src = line + static_cast<size_t>(c.start[xx] - in.x_origin) * channels;
            for (int ch = 0; ch < channels; ++ch) {
                typename K::Acc ss = K::init();
                for (int x = 0; x < c.count[xx]; ++x) ss += src[x * channels + ch] * k[x];
                dst[xx * channels + ch] = K::finish(ss);
            }
        }
    }
    return out;
}

// Vertical pass over every column of `in`; output rows are the coefficient positions.
template <typename K>
Plane<typename K::Sample> vertical(const Plane<typename K::Sample>& in, const Coefficients& c, int out_y0) {
    using T = typename K::Sample;
    int n = static_cast<int>(c.start.size()), samples = in.width * in.channels;
    Plane<T> out = owned<T>(in.width, n, in.channels, in.x_origin, out_y0);
    const auto* weights = K::weights(c);
    for (int yy = 0; yy < n; ++yy) {
        const auto* k = weights + static_cast<size_t>(yy) * c.ksize;
        T* dst = out.storage.data() + static_cast<size_t>(yy) * out.stride;
        for (int i = 0; i < samples; ++i) {
            typename K::Acc ss = K::init();
            for (int y = 0; y < c.count[yy]; ++y) ss += in.row(c.start[yy] + y)[i] * k[y];
            dst[i] = K::finish(ss);
        }
    }
    return out;
}

// A sub-block of `in` (no copy): columns [x0, x1) and rows [y0, y1) of its coordinate space.
template <typename T>
Plane<T> view(const Plane<T>& in, int x0, int x1, int y0, int y1) {
    Plane<T> p;
    p.width = x1 - x0, p.height = y1 - y0, p.channels = in.channels, p.x_origin = x0, p.y_origin = y0;
    p.stride = in.stride;
    p.data = in.row(y0) + static_cast<size_t>(x0 - in.x_origin) * in.channels;
    return p;
}

template <typename T>
std::vector<T> copy_out(const Plane<T>& p) {
    std::vector<T> out;
    out.reserve(static_cast<size_t>(p.width) * p.height * p.channels);
    for (int y = 0; y < p.height; ++y) {
        const T* line = p.row(p.y_origin + y);
        out.insert(out.end(), line, line + static_cast<size_t>(p.width) * p.channels);
    }
    return out;
}

// ImagingScaleAffine: source positions accumulate a[0] (resp. a[4]) in double from a[0] * 0.5;
// positions outside the source stay zero.
template <typename T>
std::vector<T> nearest(const Plane<T>& src, int out_width, int out_height, Window w) {
    auto positions = [](int in_size, int out_size, int first, int last) {
        double a = static_cast<double>(static_cast<float>(in_size) - 0.0f) / out_size;
        double pos = 0.0 + a * 0.5;
        std::vector<int> index;
        for (int x = 0; x < last; ++x) {
            int in = pos < 0.0 ? -1 : static_cast<int>(pos);
            if (x >= first) index.push_back(in >= 0 && in < in_size ? in : -1);
            pos += a;
        }
        return index;
    };
    std::vector<int> xs = positions(src.width, out_width, w.x0, w.x1);
    std::vector<int> ys = positions(src.height, out_height, w.y0, w.y1);
    int channels = src.channels;
    std::vector<T> out(static_cast<size_t>(w.width()) * w.height() * channels, 0);
    for (int y = 0; y < w.height(); ++y) {
        if (ys[y] < 0) continue;
        const T* line = src.row(ys[y]);
        for (int x = 0; x < w.width(); ++x) {
            if (xs[x] < 0) continue;
            std::copy_n(line + static_cast<size_t>(xs[x]) * channels, channels,
                        out.begin() + (static_cast<size_t>(y) * w.width() + x) * channels);
        }
    }
    return out;
}

template <typename K>
std::vector<typename K::Sample> resize(const typename K::Sample* pixels, int width, int height, int channels,
                                       int out_width, int out_height, Filter filter, Window w) {
    using T = typename K::Sample;
    if (width < 1 || height < 1 || out_width < 1 || out_height < 1) {
        fail("cannot resize a ", width, "x", height, " image to ", out_width, "x", out_height);
    }
    if (w.x0 < 0 || w.y0 < 0 || w.x1 > out_width || w.y1 > out_height || w.x0 >= w.x1 || w.y0 >= w.y1) {
        fail("resize window [", w.x0, ",", w.x1, ")x[", w.y0, ",", w.y1, ") outside ", out_width, "x", out_height);
    }
    Plane<T> src;
    src.width = width, src.height = height, src.channels = channels;
    src.stride = static_cast<size_t>(width) * channels;
    src.data = pixels;
    if (width == out_width && height == out_height) return copy_out(view(src, w.x0, w.x1, w.y0, w.y1));
    if (filter == Filter::Nearest) return nearest(src, out_width, out_height, w);

    bool need_horizontal = out_width != width, need_vertical = out_height != height;
    Coefficients ch = need_horizontal ? precompute(width, out_width, filter, w.x0, w.x1) : identity(w.x0, w.x1);
    Coefficients cv = need_vertical ? precompute(height, out_height, filter, w.y0, w.y1) : identity(w.y0, w.y1);
    // ImagingResampleInner: vertical first when the height shrinks more than twice the width does.
    bool horizontal_first = !((height - out_height) > 0 && (height - out_height) > (width - out_width) * 2);
    if (horizontal_first) {
        Plane<T> rows = view(src, 0, width, cv.first_input(), cv.end_input());
        return copy_out(vertical<K>(horizontal<K>(rows, ch, w.x0), cv, w.y0));
    }
    Plane<T> columns = view(src, ch.first_input(), ch.end_input(), 0, height);
    return copy_out(horizontal<K>(vertical<K>(columns, cv, w.y0), ch, w.x0));
}

}  // namespace

std::vector<uint8_t> resize8(const uint8_t* pixels, int width, int height, int channels, int out_width, int out_height,
                             Filter filter, Window window) {
    return resize<Fixed8>(pixels, width, height, channels, out_width, out_height, filter, window);
}

std::vector<uint16_t> resize16(const uint16_t* pixels, int width, int height, int out_width, int out_height,
                               Filter filter, Window window) {
    return resize<Double16>(pixels, width, height, 1, out_width, out_height, filter, window);
}

}  // namespace cliprt::resample
