#include "cpu/thread_pool.h"

#include <algorithm>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace cliprt::cpu {

namespace {

// About 100 microseconds of polling before a thread blocks.
constexpr int kSpins = 4000;

inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#else
    std::this_thread::yield();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(std::max(threads, 1)), scratch_(static_cast<size_t>(threads_)) {
    for (int t = 1; t < threads_; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::worker_loop(int thread) {
    uint64_t seen = 0;
    for (;;) {
        for (int i = 0; i < kSpins && generation_.load(std::memory_order_acquire) == seen && !stopping_; ++i)
            spin_pause();
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_) return;
            seen = generation_;
        }
        work_on_current_job(thread);
    }
}

void ThreadPool::work_on_current_job(int thread) {
    for (;;) {
        const std::function<void(int64_t, int)>* job = nullptr;
        int64_t task = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (job_ == nullptr || next_task_ >= job_tasks_) return;
            job = job_;
            task = next_task_++;
        }
        std::exception_ptr error;
        try {
            (*job)(task, thread);
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard<std::mutex> lock(mutex_);
        if (error && !error_) error_ = error;
        if (++finished_tasks_ == job_tasks_) done_.notify_all();
    }
}

void ThreadPool::run_tasks(int64_t tasks, const std::function<void(int64_t task, int thread)>& fn) {
    if (tasks <= 0) return;
    if (threads_ == 1 || tasks == 1) {
        std::lock_guard<std::mutex> serial(run_mutex_);
        for (int64_t t = 0; t < tasks; ++t) fn(t, 0);
        return;
    }
    std::lock_guard<std::mutex> serial(run_mutex_);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        job_ = &fn;
        job_tasks_ = tasks;
        next_task_ = 0;
        finished_tasks_ = 0;
        error_ = nullptr;
        ++generation_;
    }
    wake_.notify_all();
    work_on_current_job(0);
    std::exception_ptr error;
    for (int i = 0; i < kSpins && finished_tasks_.load(std::memory_order_acquire) != tasks; ++i) spin_pause();
    {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [&] { return finished_tasks_ == job_tasks_; });
        job_ = nullptr;
        error = error_;
    }
    if (error) std::rethrow_exception(error);
}

void ThreadPool::parallel_for(int64_t n, int64_t min_chunk,
                              const std::function<void(int64_t begin, int64_t end, int thread)>& fn) {
    if (n <= 0) return;
    // A few chunks per thread balance uneven work without much scheduling overhead.
    const int64_t max_chunks = std::max<int64_t>(1, n / std::max<int64_t>(min_chunk, 1));
    const int64_t chunks = std::min<int64_t>(max_chunks, threads_ == 1 ? 1 : int64_t{4} * threads_);
    run_tasks(chunks, [&](int64_t c, int thread) { fn(n * c / chunks, n * (c + 1) / chunks, thread); });
}

float* ThreadPool::scratch(int thread, size_t floats) {
    std::vector<float>& buffer = scratch_.at(static_cast<size_t>(thread));
    if (buffer.size() < floats) buffer.resize(floats);
    return buffer.data();
}

}  // namespace cliprt::cpu
