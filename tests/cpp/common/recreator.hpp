// A process that re-creates a name as fast as it can: the adversary of the
// unlink_and_create tests. It calls `create()` in a tight loop (no sleep, no
// work in between: each attempt is one system call where the caller makes it
// so) and counts the names it made in memory shared with the test.
#ifndef NOB_TESTS_RECREATOR_HPP
#define NOB_TESTS_RECREATOR_HPP

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <new>
#include <string>
#include <system_error>

namespace nob_test {

class recreator {
 public:
  /// Forks the child; `create()` returns true when it made the name.
  template <class Create>
  explicit recreator(Create create) {
    void* p = ::mmap(nullptr, sizeof(shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                     -1, 0);
    if (p == MAP_FAILED) return;
    s_ = new (p) shared{};
    pid_ = ::fork();
    if (pid_ == 0) {
      s_->running.store(true);
      while (!s_->stop.load(std::memory_order_relaxed)) {
        // Counted after the name is made: a reader may see the name before
        // the count, so at most one made name is not counted yet.
        if (create()) s_->made.fetch_add(1);
      }
      ::_exit(0);
    }
    while (pid_ > 0 && !s_->running.load()) ::usleep(100);
  }
  recreator(const recreator&) = delete;
  recreator& operator=(const recreator&) = delete;
  ~recreator() {
    stop();
    if (s_ != nullptr) ::munmap(s_, sizeof(shared));
  }

  /// True when the child runs.
  bool started() const { return pid_ > 0; }
  /// Names the child made so far (the last one may not be counted yet).
  long made() const { return s_ != nullptr ? s_->made.load() : 0; }
  /// Ends the child and reaps it; 0 when it ended normally. Idempotent.
  int stop() {
    int rc = 0;
    if (pid_ > 0) {
      s_->stop.store(true);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0) {
      }
      rc = WIFEXITED(status) ? WEXITSTATUS(status) : 101;
      pid_ = -1;
    }
    return rc;
  }

 private:
  struct shared {
    std::atomic<long> made{0};
    std::atomic<bool> running{false};
    std::atomic<bool> stop{false};
  };
  static_assert(std::atomic<long>::is_always_lock_free, "shared between processes");
  shared* s_ = nullptr;
  pid_t pid_ = -1;
};

/// What race_against() saw.
struct race_outcome {
  int made = 0;                 ///< calls that succeeded
  int eexist = 0;               ///< calls that failed with file_exists
  int other = 0;                ///< calls that failed otherwise (`first_other` says how)
  std::string first_other;
  long fewest_lost = LONG_MAX;  ///< names the racer made during a failed call, at least
  long recreated = 0;           ///< names the racer made in all
};

/// Calls `call()` (one unlink_and_create that keeps the name; throws
/// std::system_error) in a loop while `racer` re-creates the name: at least
/// 1000 calls and 100 names made by the racer, or 15 s. Stops the racer.
template <class Call>
race_outcome race_against(recreator& racer, Call call) {
  race_outcome r;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while ((r.made + r.eexist + r.other < 1000 || racer.made() < 100) &&
         std::chrono::steady_clock::now() < end) {
    const long before = racer.made();
    try {
      call();
      ++r.made;
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::file_exists) {
        if (r.other++ == 0) r.first_other = e.what();
        continue;
      }
      ++r.eexist;
      r.fewest_lost = std::min(r.fewest_lost, racer.made() - before);
    }
  }
  racer.stop();
  r.recreated = racer.made();
  ::testing::Test::RecordProperty("calls", r.made + r.eexist + r.other);
  ::testing::Test::RecordProperty("recreated", static_cast<int>(r.recreated));
  return r;
}

/// race_against() with a racer that links the ready file `from` as `to`,
/// one link(2) per try: the fastest re-creation there is.
template <class Call>
race_outcome race_against_links(const std::string& from, const std::string& to, Call call) {
  recreator racer([&] { return ::link(from.c_str(), to.c_str()) == 0; });
  if (!racer.started()) {
    race_outcome r;
    r.other = 1;
    r.first_other = "fork failed";
    return r;
  }
  return race_against(racer, call);
}

/// What unlink_and_create promises against a process that re-creates the
/// name as fast as it can. `one_step` (the new object is renamed over the
/// name): never file_exists. Else (unlink, then create, `tries` rounds):
/// file_exists only when the racer re-created the name in every round of
/// the call (counted: all but the last, which it may not have counted yet).
/// Also: no other error, and a racer that did race.
inline ::testing::AssertionResult kept_unlink_and_create_promise(const race_outcome& r,
                                                                 bool one_step, int tries) {
  const std::string figures = std::to_string(r.eexist) + " of " +
                              std::to_string(r.made + r.eexist + r.other) +
                              " calls failed with file_exists; the racer re-created the name " +
                              std::to_string(r.recreated) + " times";
  if (r.other > 0) return ::testing::AssertionFailure() << "another error: " << r.first_other;
  if (r.recreated == 0)
    return ::testing::AssertionFailure() << "the racer never re-created the name: nothing raced";
  if (one_step && r.eexist > 0)
    return ::testing::AssertionFailure() << "one-step replace: " << figures;
  if (!one_step && r.eexist > 0 && r.fewest_lost < tries - 1)
    return ::testing::AssertionFailure()
           << figures << "; one failed call lost only " << r.fewest_lost << " of " << tries
           << " rounds";
  return ::testing::AssertionSuccess() << figures;
}

}  // namespace nob_test

#endif  // NOB_TESTS_RECREATOR_HPP
