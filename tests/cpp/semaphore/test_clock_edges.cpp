// Deadlines at the edges: time_t clamping (a 32-bit time_t ends in 2038),
// coarse and floating time points at their limits (no overflow, no
// float-to-int UB: UBSan builds run this), and the polling backoff's cap.
#include "../common/clocks.hpp"
#include "../common/support.hpp"

#include <limits>
#include <ratio>

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using namespace std::chrono;
using namespace std::chrono_literals;

class ClockEdges : public nob_test::SemTest {};

TEST(ToTimespec, ClampsToWhatTimeTHolds) {
  using sec_t = decltype(timespec{}.tv_sec);
  const timespec far = nob::detail::to_timespec(nanoseconds::max());
  EXPECT_GT(far.tv_sec, 0) << "a far deadline must never become negative";
  EXPECT_GE(far.tv_nsec, 0);
  EXPECT_LT(far.tv_nsec, 1000000000L);
  const timespec y70 = nob::detail::to_timespec(duration_cast<nanoseconds>(hours(24 * 365 * 70)) +
                                                duration_cast<nanoseconds>(system_clock::now().time_since_epoch()));
  EXPECT_GT(y70.tv_sec, 0);
  if (sizeof(sec_t) == 4) {
    EXPECT_EQ(y70.tv_sec, std::numeric_limits<sec_t>::max());
  }
  const timespec past = nob::detail::to_timespec(nanoseconds(-1));
  EXPECT_EQ(past.tv_sec, -1);
  EXPECT_EQ(past.tv_nsec, 999999999L);
}

TEST_F(ClockEdges, SeventyYearsIsNotAnImmediateTimeout) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  const pid_t kid = nob_test::post_later_from_process(s, 300ms);
  bool got = false;
  const auto took = nob_test::time_of([&] { got = s.try_acquire_for(hours(24 * 365 * 70)); });
  EXPECT_EQ(nob_test::wait_child(kid), 0);
  EXPECT_TRUE(got);
  EXPECT_GE(took, 250ms) << "returned before the post: a clamped deadline ended the wait";
  const pid_t kid2 = nob_test::post_later_from_process(s, 300ms);
  EXPECT_TRUE(s.try_acquire_until(system_clock::now() + hours(24 * 365 * 70)));
  EXPECT_EQ(nob_test::wait_child(kid2), 0);
}

TEST_F(ClockEdges, CoarseAndFloatingTimePointsAtTheirLimits) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  EXPECT_FALSE(s.try_acquire_until(time_point<system_clock, hours>::min()));
  EXPECT_FALSE(s.try_acquire_until(time_point<steady_clock, hours>::min()));
  EXPECT_FALSE(s.try_acquire_until(time_point<nob_test::offset_clock, hours>::min()));
  EXPECT_FALSE(s.try_acquire_until(time_point<system_clock, duration<double>>(
      duration<double>(-std::numeric_limits<double>::max()))));
  EXPECT_FALSE(s.try_acquire_until(time_point<nob_test::double_clock>(
      duration<double>(-std::numeric_limits<double>::infinity()))));
  EXPECT_FALSE(s.try_acquire_for(duration<double>(-std::numeric_limits<double>::infinity())));
  EXPECT_FALSE(s.try_acquire_for(duration<double>(std::numeric_limits<double>::quiet_NaN())));
  s.release(6);  // a unit is there: the far deadlines take it at once
  EXPECT_TRUE(s.try_acquire_until(time_point<system_clock, hours>::max()));
  EXPECT_TRUE(s.try_acquire_until(time_point<steady_clock, hours>::max()));
  EXPECT_TRUE(s.try_acquire_until(time_point<nob_test::offset_clock, hours>::max()));
  EXPECT_TRUE(s.try_acquire_for(hours::max()));
  EXPECT_TRUE(s.try_acquire_for(duration<double>(std::numeric_limits<double>::infinity())));
  EXPECT_TRUE(s.try_acquire_until(time_point<nob_test::double_clock>(
      duration<double>(std::numeric_limits<double>::max()))));
  EXPECT_EQ(s.value(), 0);
  // A coarse deadline just ahead still waits on the other-clock path.
  const auto t0 = steady_clock::now();
  EXPECT_FALSE(s.try_acquire_until(time_point_cast<milliseconds>(nob_test::offset_clock::now()) + 200ms));
  EXPECT_GE(steady_clock::now() - t0, 150ms);
}

TEST(PollBackoff, DoublesUpToExactlyTheCap) {
  constexpr long long cap = static_cast<long long>(NOB_POLL_MAX_SLEEP_US) * 1000;
  long long ns = 1000;
  long long most = 0;
  for (int i = 0; i < 100; ++i) {
    ns = nob::detail::poll_next_sleep_ns(ns);
    most = std::max(most, ns);
  }
  EXPECT_EQ(most, cap);
  for (long long nap : {0LL, 999999999LL, 1000000000LL, 1500000000LL, cap}) {
    const timespec ts = nob::detail::relative_timespec(nap);
    EXPECT_GE(ts.tv_nsec, 0);
    EXPECT_LT(ts.tv_nsec, 1000000000L) << nap;
    EXPECT_EQ(static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec, nap);
  }
}

}  // namespace
