// try_acquire_for: times out no earlier than asked (and not far later), takes
// a unit posted mid-wait by another process or thread, tries once for zero or
// negative durations, saturates duration::max(), accepts float durations.
#include "../common/support.hpp"

#include <cmath>
#include <limits>

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;
using nob_test::late_bound;
using nob_test::SemTest;
using nob_test::time_of;

class TryAcquireFor : public SemTest {
 protected:
  named_semaphore make(unsigned value) {
    return named_semaphore(unique_name(), existence_policy::raise_if_exists, value);
  }
};

TEST_F(TryAcquireFor, TimesOutNoEarlierThanTheDuration) {
  named_semaphore s = make(0);
  bool got = true;
  const auto took = time_of([&] { got = s.try_acquire_for(100ms); });
  EXPECT_FALSE(got);
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 100ms + late_bound);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(TryAcquireFor, TakesAnAvailableUnitAtOnce) {
  named_semaphore s = make(1);
  bool got = false;
  const auto took = time_of([&] { got = s.try_acquire_for(10s); });
  EXPECT_TRUE(got);
  EXPECT_LT(took, late_bound);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(TryAcquireFor, TakesAUnitPostedByAnotherProcessMidWait) {
  named_semaphore s = make(0);
  const pid_t poster = nob_test::post_later_from_process(s, 100ms);
  bool got = false;
  const auto took = time_of([&] { got = s.try_acquire_for(20s); });
  EXPECT_EQ(nob_test::wait_child(poster), 0);
  EXPECT_TRUE(got);
  EXPECT_GE(took, 50ms);
  EXPECT_LT(took, 100ms + late_bound);
  EXPECT_EQ(s.value(), 0) << "success must mean a unit was taken";
}

TEST_F(TryAcquireFor, TakesAUnitPostedByAnotherThreadMidWait) {
  named_semaphore s = make(0);
  std::thread poster([&] {
    std::this_thread::sleep_for(100ms);
    s.release();
  });
  bool got = false;
  const auto took = time_of([&] { got = s.try_acquire_for(20s); });
  poster.join();
  EXPECT_TRUE(got);
  EXPECT_LT(took, 100ms + late_bound);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(TryAcquireFor, ZeroTriesOnceWithoutBlocking) {
  named_semaphore s = make(0);
  bool got = true;
  auto took = time_of([&] { got = s.try_acquire_for(0ms); });
  EXPECT_FALSE(got);
  EXPECT_LT(took, 500ms);
  s.release();
  EXPECT_TRUE(s.try_acquire_for(0s));
  EXPECT_EQ(s.value(), 0);
  s.release();
  EXPECT_TRUE(s.try_acquire_for(std::chrono::duration<double>(0.0)));
}

TEST_F(TryAcquireFor, NegativeTriesOnceWithoutBlocking) {
  named_semaphore s = make(0);
  bool got = true;
  const auto took = time_of([&] {
    got = s.try_acquire_for(-1s) || s.try_acquire_for(-1ns) ||
          s.try_acquire_for(std::chrono::hours::min()) ||
          s.try_acquire_for(std::chrono::duration<double>(-0.5));
  });
  EXPECT_FALSE(got);
  EXPECT_LT(took, 500ms);
  s.release();
  EXPECT_TRUE(s.try_acquire_for(-5s));
  EXPECT_EQ(s.value(), 0);
}

/// Waits `d` on an empty semaphore that a thread fills after 100 ms.
template <class Rep, class Period>
void expect_huge_wait_is_served(named_semaphore& s, std::chrono::duration<Rep, Period> d) {
  std::thread poster([&] {
    std::this_thread::sleep_for(100ms);
    s.release();
  });
  bool got = false;
  const auto took = time_of([&] { got = s.try_acquire_for(d); });
  poster.join();
  EXPECT_TRUE(got) << "an overflowing deadline must not read as 'already passed'";
  EXPECT_GE(took, 50ms) << "an overflowing deadline must not skip the wait";
  EXPECT_LT(took, late_bound);
}

TEST_F(TryAcquireFor, DurationMaxSaturates) {
  named_semaphore s = make(0);
  expect_huge_wait_is_served(s, std::chrono::nanoseconds::max());
  expect_huge_wait_is_served(s, std::chrono::milliseconds::max());
  expect_huge_wait_is_served(s, std::chrono::seconds::max());
  expect_huge_wait_is_served(s, std::chrono::hours::max());
  expect_huge_wait_is_served(s, std::chrono::duration<double>::max());
  expect_huge_wait_is_served(
      s, std::chrono::duration<double>(std::numeric_limits<double>::infinity()));
  expect_huge_wait_is_served(s, std::chrono::duration<unsigned long long, std::milli>::max());
  EXPECT_EQ(s.value(), 0);
}

TEST_F(TryAcquireFor, FloatDurationsAreHonoured) {
  named_semaphore s = make(0);
  bool got = true;
  auto took = time_of([&] { got = s.try_acquire_for(std::chrono::duration<double>(0.1)); });
  EXPECT_FALSE(got);
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 100ms + late_bound);
  took = time_of([&] { got = s.try_acquire_for(std::chrono::duration<float, std::milli>(60.5f)); });
  EXPECT_FALSE(got);
  EXPECT_GE(took, (std::chrono::duration<double, std::milli>(60.5)));
  EXPECT_LT(took, 60ms + late_bound);
  took = time_of([&] { got = s.try_acquire_for(std::chrono::duration<long double>(0.05L)); });
  EXPECT_FALSE(got);
  EXPECT_GE(took, 50ms);
}

TEST_F(TryAcquireFor, SubNanosecondFloatStillWaitsAtLeastThatLong) {
  named_semaphore s = make(0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(s.try_acquire_for(std::chrono::duration<double, std::nano>(0.25)));
  EXPECT_GT(std::chrono::steady_clock::now(), t0);
}

TEST_F(TryAcquireFor, CoarseAndUnsignedDurations) {
  named_semaphore s = make(0);
  bool got = true;
  auto took = time_of([&] { got = s.try_acquire_for(std::chrono::duration<unsigned, std::milli>(80)); });
  EXPECT_FALSE(got);
  EXPECT_GE(took, 80ms);
  took = time_of([&] { got = s.try_acquire_for(std::chrono::duration<int, std::centi>(8)); });
  EXPECT_FALSE(got);
  EXPECT_GE(took, 80ms);
  EXPECT_LT(took, 80ms + late_bound);
}

TEST_F(TryAcquireFor, ManyShortWaitsNeverReturnEarly) {
  named_semaphore s = make(0);
  for (int i = 0; i < 20; ++i) {
    const auto d = std::chrono::microseconds(500 + 250 * i);
    const auto took = time_of([&] { EXPECT_FALSE(s.try_acquire_for(d)); });
    EXPECT_GE(took, d) << "round " << i;
  }
}

}  // namespace
