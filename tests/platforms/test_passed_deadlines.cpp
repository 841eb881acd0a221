// A deadline already passed still takes a unit that is there (as
// sem_timedwait does): on every target and wait path, and where
// steady_clock is not CLOCK_MONOTONIC (macos-emu), whose steady path
// measures the time left before it waits.
#include "platform_support.hpp"

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;

class PassedDeadline : public nob_platform::PlatformTest {
 protected:
  named_semaphore make() { return named_semaphore(unique_name(), existence_policy::raise_if_exists, 1); }
};

TEST_F(PassedDeadline, WaitOnceUntilNowTakesAnAvailableUnit) {
  named_semaphore s = make();
  std::error_code ec;
  EXPECT_EQ(s.wait_once_until(std::chrono::steady_clock::now(), ec), nob::wait_result::acquired);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_FALSE(s.try_acquire()) << "the unit was not taken";
}

TEST_F(PassedDeadline, WaitOnceUntilTheEpochTakesAnAvailableUnit) {
  named_semaphore s = make();
  std::error_code ec;
  EXPECT_EQ(s.wait_once_until(std::chrono::steady_clock::time_point{}, ec),
            nob::wait_result::acquired);
  EXPECT_FALSE(s.try_acquire());
}

TEST_F(PassedDeadline, TryAcquireUntilAPassedDeadlineTakesAnAvailableUnit) {
  named_semaphore s = make();
  EXPECT_TRUE(s.try_acquire_until(std::chrono::steady_clock::now() - 1s));
  s.release();
  EXPECT_TRUE(s.try_acquire_until(std::chrono::system_clock::now() - 1s));
  s.release();
  EXPECT_TRUE(s.try_acquire_for(-1s));
  EXPECT_FALSE(s.try_acquire());
}

TEST_F(PassedDeadline, WaitOnceUntilAPassedDeadlineWithNoUnitTimesOutAtOnce) {
  named_semaphore s = make();
  ASSERT_TRUE(s.try_acquire());
  std::error_code ec;
  nob::wait_result r = nob::wait_result::acquired;
  const auto took = nob_platform::time_of(
      [&] { r = s.wait_once_until(std::chrono::steady_clock::now() - 1s, ec); });
  EXPECT_EQ(r, nob::wait_result::timed_out);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_LT(took, nob_platform::late_bound);
}

}  // namespace
