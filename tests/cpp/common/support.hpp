// Shared helpers of the nob C++ test suite: unique names that are removed
// after each test, forked children, stopwatches, and the SIGUSR1 storm.
#ifndef NOB_TESTS_SUPPORT_HPP
#define NOB_TESTS_SUPPORT_HPP

#include <nob/named_semaphore.hpp>

#include "run_prefix.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace nob_test {

using namespace std::chrono_literals;

/// How late a timed call may return and still pass: generous, the machine is shared.
inline constexpr std::chrono::milliseconds late_bound = 2500ms;

/// Base fixture: hands out names unique to this process and test, and removes
/// every one of them after the test, whatever happened.
class SemTest : public ::testing::Test {
 protected:
  /// "<run prefix>-<pid>-<suite>-<test>-<tag>", valid and unique to this test.
  std::string unique_name(const std::string& tag = "s") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string raw = std::string(info->test_suite_name()) + "-" + info->name() + "-" + tag;
    std::string name = run_prefix() + "-" + std::to_string(::getpid()) + "-";
    for (char c : raw) name += nob::is_valid_name(std::string(1, c)) || c == '.' ? c : '_';
    if (name.size() > 200) name.resize(200);
    names_.push_back(name);
    return name;
  }

  void TearDown() override {
    for (const auto& n : names_) nob::named_semaphore::remove(n);
  }

 private:
  std::vector<std::string> names_;
};

/// Runs `f` in a forked child and returns its exit status (f's int result;
/// 100 when f threw, 101 for anything but a normal exit). The child never
/// returns into the test runner: it leaves with _exit().
template <class F>
int run_in_child(F&& f) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int rc = 100;
    try {
      rc = f();
    } catch (...) {
      rc = 100;
    }
    ::_exit(rc);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

/// Starts `f` in a forked child without waiting; collect it with wait_child().
template <class F>
pid_t start_child(F&& f) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 100;
    try {
      rc = f();
    } catch (...) {
      rc = 100;
    }
    ::_exit(rc);
  }
  return pid;
}

/// The exit status of a child from start_child() (101: not a normal exit).
inline int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

/// A child process that sleeps `delay`, then posts one unit to `sem`.
inline pid_t post_later_from_process(nob::named_semaphore& sem, std::chrono::milliseconds delay) {
  return start_child([&sem, delay] {
    std::this_thread::sleep_for(delay);
    sem.release();
    return 0;
  });
}

/// Seconds that `f` took on the steady clock.
template <class F>
std::chrono::steady_clock::duration time_of(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::steady_clock::now() - t0;
}

/// Counts SIGUSR1 deliveries; installed without SA_RESTART by signal_storm.
inline std::atomic<int> storm_hits{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free counter");

extern "C" inline void storm_handler(int) { storm_hits.fetch_add(1, std::memory_order_relaxed); }

/// While alive: SIGUSR1 is handled without SA_RESTART, and a thread sends it
/// to the constructing thread every 1-2 ms (both real-time threads where
/// allowed, so that the storm holds on a busy machine). The destructor stops
/// the thread (so every signal sent has been delivered) and restores the old
/// handler and scheduling.
class signal_storm {
 public:
  signal_storm() : target_(::pthread_self()) {
    struct sigaction sa {};
    sa.sa_handler = storm_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: every blocking call sees EINTR
    ::sigaction(SIGUSR1, &sa, &old_);
    storm_hits.store(0);
    ::pthread_getschedparam(target_, &old_policy_, &old_param_);
    sched_param waiter{};
    waiter.sched_priority = 1;
    ::pthread_setschedparam(target_, SCHED_FIFO, &waiter);
    thread_ = std::thread([this] {
      // Real-time threads where allowed (root), the storm above the waiter:
      // the storm keeps its pace, and the waiter runs its handler for each
      // signal, however busy the machine is (at load 8 on 2 cores, ordinary
      // threads saw half of the signals or fewer).
      sched_param sp{};
      sp.sched_priority = 2;
      ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &sp);
      int i = 0;
      while (!stop_.load()) {
        ::pthread_kill(target_, SIGUSR1);
        std::this_thread::sleep_for(std::chrono::microseconds(1000 + 500 * (i++ % 3)));
      }
    });
  }
  ~signal_storm() {
    stop_.store(true);
    thread_.join();
    ::sigaction(SIGUSR1, &old_, nullptr);
    ::pthread_setschedparam(target_, old_policy_, &old_param_);
  }
  signal_storm(const signal_storm&) = delete;
  signal_storm& operator=(const signal_storm&) = delete;
  /// Signals delivered so far.
  int hits() const { return storm_hits.load(); }

 private:
  pthread_t target_;
  struct sigaction old_ {};
  int old_policy_ = SCHED_OTHER;
  sched_param old_param_{};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace nob_test

#endif  // NOB_TESTS_SUPPORT_HPP
