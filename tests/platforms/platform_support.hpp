// Helpers of the platform tests (tests/platforms): names short enough for
// every platform's limit (Darwin allows 30 bytes after the slash), removed
// after each test; a poster thread; a stopwatch; this thread's CPU time.
#ifndef NOB_TESTS_PLATFORM_SUPPORT_HPP
#define NOB_TESTS_PLATFORM_SUPPORT_HPP

#include <nob/named_semaphore.hpp>

#include "../cpp/common/run_prefix.hpp"

#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace nob_platform {

using namespace std::chrono_literals;

/// How late a timed call may return and still pass: generous, the machine
/// is shared and qemu is slow.
inline constexpr std::chrono::milliseconds late_bound = 3000ms;

/// Base fixture: names "<run prefix>p<pid>n<k>", at most max_name_length
/// bytes, removed after the test whatever happened.
class PlatformTest : public ::testing::Test {
 protected:
  std::string unique_name() {
    std::string n = nob_test::run_prefix() + "p" + std::to_string(::getpid()) + "n" +
                    std::to_string(names_.size());
    EXPECT_LE(n.size(), nob::detail::max_name_length) << "test name too long for this platform";
    names_.push_back(n);
    return n;
  }
  void TearDown() override {
    for (const auto& n : names_) nob::named_semaphore::remove(n);
  }

 private:
  std::vector<std::string> names_;
};

/// Seconds that `f` took on the steady clock.
template <class F>
std::chrono::steady_clock::duration time_of(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::steady_clock::now() - t0;
}

/// A thread that posts one unit to `sem` after `delay`; joined on destruction.
class post_later {
 public:
  post_later(nob::named_semaphore& sem, std::chrono::milliseconds delay)
      : thread_([&sem, delay] {
          std::this_thread::sleep_for(delay);
          sem.release();
        }) {}
  ~post_later() { thread_.join(); }
  post_later(const post_later&) = delete;
  post_later& operator=(const post_later&) = delete;

 private:
  std::thread thread_;
};

/// CPU time this thread has used (to tell a sleeping wait from a spinning one).
inline std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

/// Units in `sem`, counted by taking them all and giving them back (for
/// platforms where sem_getvalue does not exist; no one else may use `sem`).
inline int count_units(nob::named_semaphore& sem) {
  int n = 0;
  while (sem.try_acquire()) ++n;
  sem.release(n);
  return n;
}

}  // namespace nob_platform

#endif  // NOB_TESTS_PLATFORM_SUPPORT_HPP
