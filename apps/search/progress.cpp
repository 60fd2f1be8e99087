#include "search/progress.h"

#include <cmath>
#include <cstdio>

namespace cliprt::search {

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    const long long s = std::llround(seconds);
    char text[32];
    if (s >= 3600)
        std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(text, sizeof(text), "%lld:%02lld", s / 60, s % 60);
    return text;
}

std::string format_progress(size_t done, size_t total, double elapsed_seconds) {
    std::string out = std::to_string(done) + "/" + std::to_string(total);
    if (done > 0 && elapsed_seconds > 0) {
        const double rate = done / elapsed_seconds;
        char text[64];
        std::snprintf(text, sizeof(text), " %.1f img/s", rate);
        out += text;
        if (done < total) out += " ETA " + format_duration((total - done) / rate);
    }
    return out;
}

ProgressReporter::ProgressReporter(std::ostream& out, bool terminal, double line_interval_seconds)
    : out_(out), terminal_(terminal), line_interval_(line_interval_seconds) {}

void ProgressReporter::update(size_t done, size_t total) {
    if (total == 0) return;  // nothing to embed: no bar, no line
    const Clock::time_point now = Clock::now();
    if (done == 0) start_ = now;  // the rate counts embedding time, not the scan before it
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    last_done_ = done;
    last_total_ = total;
    if (terminal_) {
        if (printed_ && done != total && now - last_ < std::chrono::milliseconds(100)) return;
        constexpr int kWidth = 30;
        const int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
        out_ << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] "
             << format_progress(done, total, elapsed) << "\033[K" << std::flush;
        drawn_ = true;
    } else {
        const bool due = !printed_ || std::chrono::duration<double>(now - last_).count() >= line_interval_;
        if (!due && done != total) return;
        out_ << "indexing " << format_progress(done, total, elapsed) << "\n" << std::flush;
    }
    last_ = now;
    printed_ = true;
}

void ProgressReporter::finish() {
    if (terminal_ && drawn_) out_ << "\n" << std::flush;
    drawn_ = false;
}

}  // namespace cliprt::search
