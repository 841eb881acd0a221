// Deadlines far past 2038: on a 32-bit time_t they do not fit a timespec,
// and a wait must neither end at once (the contract: never early) nor spin.
// Every target runs these, on every wait path it is built for.
#include "platform_support.hpp"

#include <ctime>

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;
using nob_platform::late_bound;
using nob_platform::PlatformTest;
using nob_platform::post_later;
using nob_platform::time_of;

/// 70 years: past 2038 from any clock's "now", past INT32_MAX seconds.
constexpr auto seventy_years = std::chrono::hours(24 * 365 * 70);

class FarDeadline : public PlatformTest {
 protected:
  named_semaphore make() { return named_semaphore(unique_name(), existence_policy::raise_if_exists, 0); }

  /// Runs `wait` on an empty semaphore that a thread fills after 400 ms:
  /// it must wait for that unit (not return at once) without spinning.
  template <class F>
  void expect_served_after_post(named_semaphore& s, F&& wait) {
    bool got = false;
    std::chrono::nanoseconds cpu{};
    const auto took = time_of([&] {
      post_later poster(s, 400ms);
      const auto c0 = nob_platform::thread_cpu_time();
      got = wait();
      cpu = nob_platform::thread_cpu_time() - c0;
    });
    EXPECT_TRUE(got) << "a deadline past 2038 must not read as 'already passed'";
    EXPECT_GE(took, 300ms) << "the wait ended before the unit was posted";
    EXPECT_LT(took, 400ms + late_bound);
    EXPECT_LT(cpu, 200ms) << "the waiting thread spun instead of sleeping";
    EXPECT_FALSE(s.try_acquire()) << "success must mean the unit was taken";
  }
};

TEST(TimeAbi, TimeTHasTheWidthTheTargetAskedFor) {
#ifdef NOB_PLATFORM_EXPECT_TIME_BITS
  EXPECT_EQ(sizeof(std::time_t) * 8, static_cast<std::size_t>(NOB_PLATFORM_EXPECT_TIME_BITS));
  EXPECT_EQ(sizeof(timespec{}.tv_sec) * 8, static_cast<std::size_t>(NOB_PLATFORM_EXPECT_TIME_BITS));
#else
  GTEST_SKIP() << "the build did not say which time_t width it asked for";
#endif
}

TEST_F(FarDeadline, TryAcquireFor70YearsWaitsForAPost) {
  named_semaphore s = make();
  expect_served_after_post(s, [&] { return s.try_acquire_for(seventy_years); });
}

TEST_F(FarDeadline, TryAcquireUntilSteady70YearsWaitsForAPost) {
  named_semaphore s = make();
  const auto deadline = std::chrono::steady_clock::now() + seventy_years;
  expect_served_after_post(s, [&] { return s.try_acquire_until(deadline); });
}

TEST_F(FarDeadline, TryAcquireUntilSystemClockIn2040WaitsForAPost) {
  named_semaphore s = make();
  // 2040-01-01T00:00:00Z, past the last second of a signed 32-bit time_t.
  const std::chrono::system_clock::time_point y2040(std::chrono::seconds(2208988800LL));
  expect_served_after_post(s, [&] { return s.try_acquire_until(y2040); });
}

TEST_F(FarDeadline, TryAcquireUntilSystemClock70YearsWaitsForAPost) {
  named_semaphore s = make();
  const auto deadline = std::chrono::system_clock::now() + seventy_years;
  expect_served_after_post(s, [&] { return s.try_acquire_until(deadline); });
}

TEST_F(FarDeadline, WaitOnceUntil70YearsWaitsForAPost) {
  named_semaphore s = make();
  const auto deadline = std::chrono::steady_clock::now() + seventy_years;
  expect_served_after_post(s, [&] {
    std::error_code ec;
    // interrupted (EINTR) is not an answer: ask again, as bindings do.
    for (;;) {
      const nob::wait_result r = s.wait_once_until(deadline, ec);
      if (r != nob::wait_result::interrupted) return r == nob::wait_result::acquired && !ec;
    }
  });
}

TEST_F(FarDeadline, ShortWaitStillTimesOutOnTime) {
  // The clamp of far deadlines must not stretch near ones.
  named_semaphore s = make();
  bool got = true;
  const auto took = time_of([&] { got = s.try_acquire_for(150ms); });
  EXPECT_FALSE(got);
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 150ms + late_bound);
}

}  // namespace
