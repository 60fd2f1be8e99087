// A small fixed-size thread pool owned by the CPU backend: the calling thread plus (threads - 1)
// workers share the chunks of one parallel loop at a time. Each thread has its own scratch memory
// so kernels can pack operands without allocating per call.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cliprt::cpu {

class ThreadPool {
public:
    explicit ThreadPool(int threads);  // threads >= 1; 1 runs everything on the caller
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int threads() const { return threads_; }

    // Runs fn(task, thread) for task in [0, tasks), each exactly once, spread over the threads;
    // returns when all are done. Rethrows the first exception a task threw. Calls from several
    // threads are serialized; fn must not call back into the pool.
    void run_tasks(int64_t tasks, const std::function<void(int64_t task, int thread)>& fn);

    // Splits [0, n) into contiguous ranges of at least min_chunk items and runs fn(begin, end,
    // thread) on them in parallel.
    void parallel_for(int64_t n, int64_t min_chunk,
                      const std::function<void(int64_t begin, int64_t end, int thread)>& fn);

    // Per-thread scratch of at least `floats` floats, valid until the same thread asks again.
    float* scratch(int thread, size_t floats);

private:
    void worker_loop(int thread);
    void work_on_current_job(int thread);

    const int threads_;
    std::vector<std::thread> workers_;
    std::vector<std::vector<float>> scratch_;

    std::mutex run_mutex_;  // one parallel loop at a time
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    // Bumped for every job so waiting workers see a new one. Workers spin on it briefly before they
    // sleep: a forward runs many short parallel loops back to back, and a wake-up costs more than one.
    std::atomic<uint64_t> generation_{0};
    std::atomic<bool> stopping_{false};

    // The current job, guarded by mutex_.
    const std::function<void(int64_t, int)>* job_ = nullptr;
    int64_t job_tasks_ = 0;
    int64_t next_task_ = 0;
    std::atomic<int64_t> finished_tasks_{0};
    std::exception_ptr error_;
};

}  // namespace cliprt::cpu
