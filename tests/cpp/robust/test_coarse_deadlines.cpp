// try_acquire_until with the far end of a coarse time point
// (time_point<system_clock, seconds>::max(), <system_clock, hours>::max(),
// <steady_clock, hours>::max()) waits like "forever": comparing it with now()
// or subtracting now() in nanoseconds would overflow (undefined behaviour; it
// used to return false at once on an empty pool). The start of such a clock
// (hours::min()) is in the past: one try.
#include "support.hpp"

namespace robust_test {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;
using std::chrono::time_point;

class CoarseDeadlines : public RobustTest {
 protected:
  /// Holds the only unit, lets another thread give it back after 300 ms, and
  /// returns how long `wait` took to get it (or -1 s when it returned false).
  template <class Wait>
  std::chrono::milliseconds waited_for_the_release(Wait wait) {
    robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 1);
    EXPECT_TRUE(s.try_acquire());
    std::thread giver([&] {
      std::this_thread::sleep_for(300ms);
      s.release();  // units are the process's: any thread may give them back
    });
    const auto t0 = steady_clock::now();
    const bool got = wait(s);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - t0);
    giver.join();
    if (got) s.release();
    return got ? took : std::chrono::milliseconds(-1000);
  }
};

TEST_F(CoarseDeadlines, SystemClockSecondsMaxWaitsForTheUnit) {
  const auto took = waited_for_the_release(
      [](robust_semaphore& s) { return s.try_acquire_until(time_point<system_clock, seconds>::max()); });
  EXPECT_GE(took, 290ms);
}

TEST_F(CoarseDeadlines, SystemClockHoursMaxWaitsForTheUnit) {
  const auto took = waited_for_the_release(
      [](robust_semaphore& s) { return s.try_acquire_until(time_point<system_clock, hours>::max()); });
  EXPECT_GE(took, 290ms);
}

TEST_F(CoarseDeadlines, SteadyClockHoursMaxWaitsForTheUnit) {
  const auto took = waited_for_the_release(
      [](robust_semaphore& s) { return s.try_acquire_until(time_point<steady_clock, hours>::max()); });
  EXPECT_GE(took, 290ms);
}

TEST_F(CoarseDeadlines, LockUntilTakesTheSameShapes) {
  const auto took = waited_for_the_release(
      [](robust_semaphore& s) { return s.try_lock_until(time_point<steady_clock, seconds>::max()); });
  EXPECT_GE(took, 290ms);
}

TEST_F(CoarseDeadlines, TheStartOfACoarseClockTriesOnce) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 1);
  ASSERT_TRUE(s.try_acquire());
  const auto t0 = steady_clock::now();
  EXPECT_FALSE(s.try_acquire_until(time_point<system_clock, hours>::min()));
  EXPECT_FALSE(s.try_acquire_until(time_point<steady_clock, hours>::min()));
  EXPECT_FALSE(s.try_acquire_until(time_point<system_clock, seconds>::min()));
  EXPECT_LT(steady_clock::now() - t0, 2500ms);  // no wait to speak of
  s.release();
  EXPECT_TRUE(s.try_acquire_until(time_point<steady_clock, hours>::min()));  // a free unit is taken
}

}  // namespace
}  // namespace robust_test
