// The low-level calls the Python binding and asyncio use: wait_once*
// return interrupted on a signal, never time out early; wait_word's high
// half counts registered waiters and its low half changes (with a shared
// futex wake) whenever a unit is freed while someone waits.
#include "support.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>

#include <atomic>

namespace robust_test {
namespace {

using std::chrono::steady_clock;

class WaitOnce : public RobustTest {};

TEST_F(WaitOnce, TimedOutOnlyAtTheDeadline) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 1);
  s.acquire();
  std::error_code ec;
  const auto deadline = steady_clock::now() + 150ms;
  EXPECT_EQ(s.wait_once_until(deadline, ec), nob::wait_result::timed_out);
  EXPECT_FALSE(ec);
  EXPECT_GE(steady_clock::now(), deadline);
  s.release();
  EXPECT_EQ(s.wait_once(ec), nob::wait_result::acquired);
  EXPECT_EQ(s.held(), 1u);
}

TEST_F(WaitOnce, InterruptedBySignal) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 1);
  s.acquire();
  std::error_code ec;
  nob::wait_result r;
  {
    nob_test::signal_storm storm;  // SIGUSR1 every 1-2 ms, no SA_RESTART
    r = s.wait_once_until(steady_clock::now() + 10s, ec);
  }
  EXPECT_EQ(r, nob::wait_result::interrupted);
  EXPECT_FALSE(ec);
  EXPECT_EQ(s.held(), 1u) << "an interrupted wait took nothing";
}

TEST_F(WaitOnce, ThrowingCallsRetryAfterSignals) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 1);
  s.acquire();
  int hits = 0;
  const auto t0 = steady_clock::now();
  bool got = true;
  {
    nob_test::signal_storm storm;
    got = s.try_acquire_for(300ms);
    hits = storm.hits();
  }
  EXPECT_FALSE(got);
  EXPECT_GE(steady_clock::now() - t0, 300ms);
  EXPECT_GT(hits, 0);
}

TEST_F(WaitOnce, WaitWordCountsWaitersAndChangesOnRelease) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 1);
  std::atomic<std::uint64_t>* w = s.wait_word();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->load() >> 32, 0u);
  s.acquire();
  std::thread waiter([&] {
    robust_semaphore t(s.name());
    t.acquire();
    t.release();
  });
  const auto end = steady_clock::now() + 10s;
  while ((w->load() >> 32) == 0 && steady_clock::now() < end) std::this_thread::sleep_for(1ms);
  EXPECT_GE(w->load() >> 32, 1u) << "the blocked acquire registered itself";
  s.release();
  waiter.join();
  EXPECT_EQ(w->load() >> 32, 0u);
}

TEST_F(WaitOnce, OutsideFutexWaiterIsWoken) {
  // What an event loop does: register in the high half, sleep on the low
  // half with a shared FUTEX_WAIT, unregister; a release in another process
  // must wake it.
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 1);
  int out = -1;
  const pid_t child = start_holder(name, out);
  std::atomic<std::uint64_t>* w = s.wait_word();
  const std::uint64_t before = w->fetch_add(std::uint64_t(1) << 32) + (std::uint64_t(1) << 32);
  std::thread killer([&] {
    std::this_thread::sleep_for(50ms);
    ::kill(child, SIGKILL);  // its unit is freed by whoever notices...
    std::this_thread::sleep_for(50ms);
    robust_semaphore other(name);
    other.try_acquire();  // ...here: the reclaim bumps the word and wakes
  });
  const auto t0 = steady_clock::now();
  timespec ts{10, 0};
  auto* low = reinterpret_cast<std::uint32_t*>(w);
  long rc = ::syscall(SYS_futex, low, FUTEX_WAIT, static_cast<std::uint32_t>(before), &ts, nullptr, 0);
  const int err = rc == 0 ? 0 : errno;
  w->fetch_sub(std::uint64_t(1) << 32);
  killer.join();
  wait_child(child);
  ::close(out);
  EXPECT_TRUE(rc == 0 || err == EAGAIN) << "futex: " << err;
  EXPECT_LT(steady_clock::now() - t0, 5s);
  EXPECT_NE(static_cast<std::uint32_t>(w->load()), static_cast<std::uint32_t>(before));
}

/// Stops a helper in its wait (counted as a waiter) and kills it there.
void kill_a_sleeper(const std::string& name) {
  const pid_t pid = spawn({helper_path(), "crash", "wait", name, "1"}, "wait.registered");
  int status = 0;
  ASSERT_TRUE(wait_stopped(pid, status)) << status;
  kill_child(pid);
}

TEST_F(WaitOnce, AKilledSleepersCountIsDropped) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 1);
  s.acquire();
  std::atomic<std::uint64_t>* w = s.wait_word();
  kill_a_sleeper(name);
  EXPECT_EQ(w->load() >> 32, 1u) << "the dead sleeper is still counted";
  // a fork (like any open or close) takes the file-wide lock and drops it
  EXPECT_EQ(run_in_child([] { return 0; }), 0);
  EXPECT_EQ(w->load() >> 32, 0u);

  kill_a_sleeper(name);
  ASSERT_EQ(w->load() >> 32, 1u);
  // so does a waiter whose slice ended without a wake-up
  EXPECT_FALSE(s.try_acquire_for(std::chrono::milliseconds(3 * NOB_ROBUST_SLICE_MS)));
  EXPECT_EQ(w->load() >> 32, 0u);
  s.release();
  EXPECT_EQ(s.value(), 1);
}

}  // namespace
}  // namespace robust_test
