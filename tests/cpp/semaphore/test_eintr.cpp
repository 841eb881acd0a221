// EINTR storms: a thread sends SIGUSR1 (handler without SA_RESTART) to the
// waiting thread every 1-2 ms. Timed waits neither return early nor far
// late; untimed waits return only once a unit is posted.
#include "../common/clocks.hpp"
#include "../common/support.hpp"

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;
using nob_test::late_bound;
using nob_test::SemTest;
using nob_test::signal_storm;
using nob_test::time_of;

class EintrStorm : public SemTest {
 protected:
  named_semaphore make(unsigned value) {
    return named_semaphore(unique_name(), existence_policy::raise_if_exists, value);
  }
};

/// Enough signals arrived during a 200 ms wait for the test to mean something.
/// Under ThreadSanitizer none is required: its runtime takes each signal in
/// its own handler and runs ours only at its next interceptor, which a wait
/// in the futex system call may not reach before it ends (at load, with
/// other steps running, 1 of about 130 came through); the timing bounds
/// still hold there, and every other build checks the count.
#if defined(__SANITIZE_THREAD__)
constexpr int min_hits = 0;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr int min_hits = 0;
#else
constexpr int min_hits = 20;
#endif
#else
constexpr int min_hits = 20;
#endif

TEST_F(EintrStorm, TryAcquireForNeitherEarlyNorFarLate) {
  named_semaphore s = make(0);
  bool got = true;
  std::chrono::steady_clock::duration took{};
  int hits = 0;
  {
    signal_storm storm;
    took = time_of([&] { got = s.try_acquire_for(200ms); });
    hits = storm.hits();
  }
  EXPECT_FALSE(got);
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 200ms + late_bound);
  EXPECT_GE(hits, min_hits);
  EXPECT_EQ(s.value(), 0);
}

template <class Clock>
void expect_until_survives_storm(named_semaphore& s) {
  const auto deadline = Clock::now() + 200ms;
  bool got = true;
  std::chrono::steady_clock::duration took{};
  int hits = 0;
  {
    signal_storm storm;
    took = time_of([&] { got = s.try_acquire_until(deadline); });
    hits = storm.hits();
  }
  EXPECT_FALSE(got);
  EXPECT_GE(Clock::now(), deadline) << "returned early";
  EXPECT_LT(took, 400ms + late_bound);
  EXPECT_GE(hits, min_hits);
}

TEST_F(EintrStorm, TryAcquireUntilSteadyNeitherEarlyNorFarLate) {
  named_semaphore s = make(0);
  expect_until_survives_storm<std::chrono::steady_clock>(s);
}

TEST_F(EintrStorm, TryAcquireUntilSystemNeitherEarlyNorFarLate) {
  named_semaphore s = make(0);
  expect_until_survives_storm<std::chrono::system_clock>(s);
}

TEST_F(EintrStorm, TryAcquireUntilCustomClockNeitherEarlyNorFarLate) {
  named_semaphore s = make(0);
  expect_until_survives_storm<nob_test::offset_clock>(s);
  expect_until_survives_storm<nob_test::half_speed_clock>(s);
}

TEST_F(EintrStorm, AcquireReturnsOnlyOncePosted) {
  named_semaphore s = make(0);
  std::atomic<bool> posted{false};
  std::thread poster([&] {
    std::this_thread::sleep_for(250ms);
    posted.store(true);
    s.release();
  });
  int hits = 0;
  bool posted_before_return = false;
  {
    signal_storm storm;
    s.acquire();
    posted_before_return = posted.load();
    hits = storm.hits();
  }
  poster.join();
  EXPECT_TRUE(posted_before_return) << "acquire() returned before any unit was posted";
  EXPECT_GE(hits, min_hits);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(EintrStorm, LockReturnsOnlyOncePostedByAnotherProcess) {
  named_semaphore s = make(0);
  named_semaphore flag(unique_name("flag"), existence_policy::raise_if_exists, 0);
  const pid_t poster = nob_test::start_child([&] {
    std::this_thread::sleep_for(250ms);
    flag.release();
    s.release();
    return 0;
  });
  int hits = 0;
  {
    signal_storm storm;
    s.lock();
    hits = storm.hits();
  }
  EXPECT_EQ(nob_test::wait_child(poster), 0);
  EXPECT_EQ(flag.value(), 1) << "lock() returned before the other process posted";
  EXPECT_GE(hits, min_hits);
}

TEST_F(EintrStorm, TimedWaitStillTakesAUnitPostedMidStorm) {
  named_semaphore s = make(0);
  std::thread poster([&] {
    std::this_thread::sleep_for(150ms);
    s.release();
  });
  bool got = false;
  std::chrono::steady_clock::duration took{};
  {
    signal_storm storm;
    took = time_of([&] { got = s.try_acquire_for(20s); });
  }
  poster.join();
  EXPECT_TRUE(got);
  EXPECT_LT(took, 150ms + late_bound);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(EintrStorm, NoCallThrowsBecauseAHandlerRan) {
  named_semaphore s = make(0);
  signal_storm storm;
  EXPECT_NO_THROW({
    for (int i = 0; i < 20; ++i) {
      (void)s.try_acquire_for(5ms);
      (void)s.try_acquire_until(std::chrono::system_clock::now() + 5ms);
      s.release();
      s.acquire();
      (void)s.value();
    }
  });
}

}  // namespace
