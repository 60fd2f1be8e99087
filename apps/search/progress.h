// Progress of a long indexing run on stderr: a redrawn bar with count, rate and ETA on a terminal,
// plain periodic lines when stderr is a file or pipe (logs stay readable).
#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace cliprt::search {

// "1:02:03", "4:05" (h:mm:ss or m:ss); "?" for a negative or non-finite value.
std::string format_duration(double seconds);
// "120/500 24.0 img/s ETA 0:16" (rate and ETA left out while unknown).
std::string format_progress(size_t done, size_t total, double elapsed_seconds);

class ProgressReporter {
public:
    ProgressReporter(std::ostream& out, bool terminal, double line_interval_seconds = 5.0);
    void update(size_t done, size_t total);
    void finish();  // ends the bar's line on a terminal

private:
    using Clock = std::chrono::steady_clock;
    std::ostream& out_;
    bool terminal_;
    double line_interval_;
    Clock::time_point start_ = Clock::now();
    Clock::time_point last_{};
    bool printed_ = false;
    bool drawn_ = false;
    size_t last_done_ = 0;
    size_t last_total_ = 0;
};

}  // namespace cliprt::search
