#include "thread_pool.h"

#include <system_error>
#include <thread>

namespace grove {

namespace {
constexpr unsigned kMaxWorkers = 255;
}

ThreadPool& ThreadPool::instance() {
  static ThreadPool* pool = new ThreadPool();  // leaked on purpose, see the header
  return *pool;
}

void ThreadPool::runChunks(Job& job) {
  size_t finished = 0;
  for (;;) {
    const size_t i = job.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= job.n) break;
    try {
      (*job.fn)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(job.mu);
      if (!job.error) job.error = std::current_exception();
    }
    ++finished;
  }
  if (finished != 0 && job.done.fetch_add(finished, std::memory_order_acq_rel) + finished == job.n) {
    std::lock_guard<std::mutex> lock(job.mu);
    job.cv.notify_all();
  }
}

void ThreadPool::workerLoop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty(); });
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    // A job whose chunks are all taken is a no-op here (fn is not touched once next >= n).
    runChunks(*job);
  }
}

void ThreadPool::ensureWorkers(unsigned want) {
  // Called with mu_ held.
  if (want > kMaxWorkers) want = kMaxWorkers;
  while (workers_ < want) {
    try {
      std::thread(&ThreadPool::workerLoop, this).detach();
    } catch (const std::system_error&) {
      return;  // run with the workers we have: the caller always works on its own loop
    }
    ++workers_;
  }
}

void ThreadPool::parallelFor(size_t n, unsigned threads, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (threads <= 1 || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  auto job = std::make_shared<Job>();
  job->n = n;
  job->fn = &fn;
  const size_t helpers = std::min<size_t>(threads - 1, n - 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ensureWorkers(static_cast<unsigned>(helpers));
    for (size_t h = 0; h < helpers; ++h) queue_.push_back(job);
  }
  if (helpers == 1) cv_.notify_one();
  else cv_.notify_all();
  runChunks(*job);
  {
    std::unique_lock<std::mutex> lock(job->mu);
    job->cv.wait(lock, [&] { return job->done.load(std::memory_order_acquire) == job->n; });
  }
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace grove
