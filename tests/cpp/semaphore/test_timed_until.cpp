// try_acquire_until on steady_clock, system_clock and other clocks: times out
// no earlier than the deadline on the deadline's own clock (and not far
// later), takes a unit posted mid-wait, tries once for past deadlines, and
// waits for a unit when the deadline is time_point::max().
#include "../common/clocks.hpp"
#include "../common/support.hpp"

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;
using nob_test::late_bound;
using nob_test::SemTest;
using nob_test::time_of;

template <class Clock>
class TryAcquireUntil : public SemTest {
 protected:
  named_semaphore make(unsigned value) {
    return named_semaphore(unique_name(), existence_policy::raise_if_exists, value);
  }
};

using Clocks = ::testing::Types<std::chrono::steady_clock, std::chrono::system_clock,
                                nob_test::offset_clock, nob_test::half_speed_clock,
                                nob_test::double_clock>;
TYPED_TEST_SUITE(TryAcquireUntil, Clocks);

/// Real time that passes while `d` passes on Clock (2 d for the half-speed clock).
template <class Clock, class D>
std::chrono::nanoseconds real_time_for(D d) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d);
  return std::is_same_v<Clock, nob_test::half_speed_clock> ? 2 * ns : ns;
}

TYPED_TEST(TryAcquireUntil, TimesOutNoEarlierThanTheDeadlineOnItsClock) {
  using Clock = TypeParam;
  named_semaphore s = this->make(0);
  const auto deadline = Clock::now() + 100ms;
  bool got = true;
  const auto took = time_of([&] { got = s.try_acquire_until(deadline); });
  const auto after = Clock::now();
  EXPECT_FALSE(got);
  EXPECT_GE(after, deadline) << "returned before the deadline on the deadline's clock";
  EXPECT_GE(took, real_time_for<Clock>(100ms) - 1ms);
  EXPECT_LT(took, real_time_for<Clock>(100ms) + late_bound);
  EXPECT_EQ(s.value(), 0);
}

TYPED_TEST(TryAcquireUntil, TakesAnAvailableUnitAtOnce) {
  using Clock = TypeParam;
  named_semaphore s = this->make(1);
  bool got = false;
  const auto took = time_of([&] { got = s.try_acquire_until(Clock::now() + 10s); });
  EXPECT_TRUE(got);
  EXPECT_LT(took, late_bound);
  EXPECT_EQ(s.value(), 0);
}

TYPED_TEST(TryAcquireUntil, TakesAUnitPostedByAnotherProcessMidWait) {
  using Clock = TypeParam;
  named_semaphore s = this->make(0);
  const pid_t poster = nob_test::post_later_from_process(s, 100ms);
  bool got = false;
  const auto took = time_of([&] { got = s.try_acquire_until(Clock::now() + 20s); });
  EXPECT_EQ(nob_test::wait_child(poster), 0);
  EXPECT_TRUE(got);
  EXPECT_GE(took, 50ms);
  EXPECT_LT(took, 100ms + late_bound);
  EXPECT_EQ(s.value(), 0);
}

TYPED_TEST(TryAcquireUntil, TakesAUnitPostedByAnotherThreadMidWait) {
  using Clock = TypeParam;
  named_semaphore s = this->make(0);
  std::thread poster([&] {
    std::this_thread::sleep_for(100ms);
    s.release();
  });
  bool got = false;
  const auto took = time_of([&] { got = s.try_acquire_until(Clock::now() + 20s); });
  poster.join();
  EXPECT_TRUE(got);
  EXPECT_LT(took, 100ms + late_bound);
  EXPECT_EQ(s.value(), 0);
}

TYPED_TEST(TryAcquireUntil, PastDeadlinesTryOnceWithoutBlocking) {
  using Clock = TypeParam;
  named_semaphore s = this->make(0);
  bool got = true;
  const auto took = time_of([&] {
    got = s.try_acquire_until(Clock::now()) || s.try_acquire_until(Clock::now() - 1s) ||
          s.try_acquire_until(typename Clock::time_point()) ||
          s.try_acquire_until(Clock::time_point::min());
  });
  EXPECT_FALSE(got);
  EXPECT_LT(took, 500ms);
  s.release();
  EXPECT_TRUE(s.try_acquire_until(Clock::now() - 1s)) << "a free unit is taken even so";
  s.release();
  EXPECT_TRUE(s.try_acquire_until(Clock::time_point::min()));
  EXPECT_EQ(s.value(), 0);
}

TYPED_TEST(TryAcquireUntil, TimePointMaxWaitsForAUnit) {
  using Clock = TypeParam;
  named_semaphore s = this->make(0);
  std::thread poster([&] {
    std::this_thread::sleep_for(100ms);
    s.release();
  });
  bool got = false;
  const auto took = time_of([&] { got = s.try_acquire_until(Clock::time_point::max()); });
  poster.join();
  EXPECT_TRUE(got);
  EXPECT_GE(took, 50ms) << "an overflowing deadline must not skip the wait";
  EXPECT_LT(took, late_bound);
  EXPECT_EQ(s.value(), 0);
}

TYPED_TEST(TryAcquireUntil, FloatTimePoints) {
  using Clock = TypeParam;
  using fsec = std::chrono::duration<double>;
  named_semaphore s = this->make(0);
  const std::chrono::time_point<Clock, fsec> deadline =
      std::chrono::time_point_cast<fsec>(Clock::now()) + fsec(0.08);
  bool got = true;
  const auto took = time_of([&] { got = s.try_acquire_until(deadline); });
  EXPECT_FALSE(got);
  EXPECT_GE(Clock::now(), deadline);
  EXPECT_GE(took, real_time_for<Clock>(80ms) - 1ms);
  EXPECT_LT(took, real_time_for<Clock>(80ms) + late_bound);
}

TYPED_TEST(TryAcquireUntil, CoarseTimePoints) {
  using Clock = TypeParam;
  named_semaphore s = this->make(0);
  const auto deadline =
      std::chrono::time_point_cast<std::chrono::milliseconds>(Clock::now()) + 90ms;
  EXPECT_FALSE(s.try_acquire_until(deadline));
  EXPECT_GE(Clock::now(), deadline);
}

TYPED_TEST(TryAcquireUntil, LockUntilIsTheSame) {
  using Clock = TypeParam;
  named_semaphore s = this->make(0);
  const auto deadline = Clock::now() + 60ms;
  EXPECT_FALSE(s.try_lock_until(deadline));
  EXPECT_GE(Clock::now(), deadline);
  s.release();
  EXPECT_TRUE(s.try_lock_until(Clock::now() + 1s));
  EXPECT_EQ(s.value(), 0);
}

}  // namespace
