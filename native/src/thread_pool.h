// grove native core: a small process-wide thread pool for parallel loops over row chunks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>

namespace grove {

class ThreadPool {
 public:
  // The pool is created on first use and intentionally never destroyed (its threads simply end with
  // the process), so no static destructor can race a worker at exit.
  static ThreadPool& instance();

  // Calls fn(i) for every i in [0, n), on the calling thread and up to `threads - 1` pool workers,
  // and returns when all calls have finished. Several callers may run loops at the same time.
  // If fn throws, the first exception is rethrown here after every call has finished.
  void parallelFor(size_t n, unsigned threads, const std::function<void(size_t)>& fn);

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

 private:
  struct Job {
    size_t n = 0;
    const std::function<void(size_t)>* fn = nullptr;
    std::atomic<size_t> next{0};
    std::atomic<size_t> done{0};
    std::mutex mu;
    std::condition_variable cv;
    std::exception_ptr error;
  };

  ThreadPool() = default;
  static void runChunks(Job& job);
  void workerLoop();
  void ensureWorkers(unsigned want);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  unsigned workers_ = 0;
};

}  // namespace grove
