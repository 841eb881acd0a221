// Plumbing shared by the C++ benchmarks: unique names, registration of one
// benchmark per contender, and helper processes driven through shared memory.
#ifndef NOB_BENCH_SUPPORT_HPP
#define NOB_BENCH_SUPPORT_HPP

#include <benchmark/benchmark.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "contenders.hpp"

namespace bench {

/// "/nob-bench-PID-WHAT-N": unique per process and per call.
inline std::string unique_name(const char* what) {
  static int counter = 0;
  return "/nob-bench-" + std::to_string(::getpid()) + "-" + what + "-" + std::to_string(counter++);
}

template <class T>
struct tag {
  using type = T;
};

/// Calls f(tag<C>{}) for every contender, raw first.
template <class F>
void for_each_contender(F f) {
  f(tag<raw_posix>{});
  f(tag<nob_sem>{});
  f(tag<boost_sem>{});
}

/// Registers `fn` as "FAMILY/LABEL".
inline benchmark::internal::Benchmark* add(const std::string& family, const char* label,
                                           void (*fn)(benchmark::State&)) {
  return benchmark::RegisterBenchmark((family + "/" + label).c_str(), fn);
}

/// Harness state in anonymous shared memory: a stop flag and two process-shared
/// unnamed semaphores (the harness never uses the contender under test).
struct shared_block {
  std::atomic<int> stop{0};
  sem_t start;
  sem_t done;
};

/// A shared_block mapped before fork(), so parent and children see one copy.
class shared_state {
 public:
  shared_state() {
    void* p = ::mmap(nullptr, sizeof(shared_block), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    b_ = new (p) shared_block;
    ::sem_init(&b_->start, 1, 0);
    ::sem_init(&b_->done, 1, 0);
  }
  ~shared_state() {
    ::sem_destroy(&b_->start);
    ::sem_destroy(&b_->done);
    ::munmap(b_, sizeof(shared_block));
  }
  shared_state(const shared_state&) = delete;
  shared_state& operator=(const shared_state&) = delete;
  shared_block* operator->() const { return b_; }

 private:
  shared_block* b_;
};

/// Pins this process (and the children it forks meanwhile) to the highest
/// CPU it may run on; restores the old affinity when destroyed.
class one_cpu {
 public:
  one_cpu() {
    CPU_ZERO(&old_);
    if (::sched_getaffinity(0, sizeof old_, &old_) != 0) return;
    int last = -1;
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &old_)) last = i;
    if (last < 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(last, &one);
    pinned_ = ::sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~one_cpu() {
    if (pinned_) ::sched_setaffinity(0, sizeof old_, &old_);
  }
  one_cpu(const one_cpu&) = delete;
  one_cpu& operator=(const one_cpu&) = delete;

 private:
  cpu_set_t old_;
  bool pinned_ = false;
};

/// Forks a child that runs `body` and then _exit(0)s (no destructors, no atexit).
template <class F>
pid_t spawn(F body) {
  const pid_t pid = ::fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  return pid;
}

/// Waits for every child in `pids`.
inline void reap(const std::vector<pid_t>& pids) {
  for (pid_t p : pids) {
    int status = 0;
    ::waitpid(p, &status, 0);
  }
}

}  // namespace bench

#endif  // NOB_BENCH_SUPPORT_HPP
