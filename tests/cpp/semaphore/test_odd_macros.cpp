// Built alone with the macros of platforms nob cannot run here (see
// meson.build): polling with a backoff cap above one second, no
// sem_getvalue (macOS: ENOSYS), sem_t's layout unknown (x32, musl, ...) and
// steady_clock not being CLOCK_MONOTONIC (macOS).
#include "../common/support.hpp"

#include <time.h>

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using namespace std::chrono_literals;

class OddMacros : public nob_test::SemTest {};

TEST(OddMacrosBuild, TheMacrosTookEffect) {
  EXPECT_EQ(nob::compiled_wait_strategy, nob::wait_strategy::poll);
  EXPECT_FALSE(nob::atomic_release);
  EXPECT_EQ(NOB_HAVE_SEM_GETVALUE, 0);
  EXPECT_EQ(NOB_STEADY_IS_MONOTONIC, 0);
  EXPECT_GT(NOB_POLL_MAX_SLEEP_US, 1000000);
}

TEST_F(OddMacros, ValueIsNotSupportedAndReleaseNDoesNotNeedIt) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  try {
    (void)s.value();
    FAIL() << "value() worked without sem_getvalue";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::function_not_supported);
  }
  std::error_code ec;
  EXPECT_EQ(s.value(ec), -1);
  EXPECT_EQ(ec, std::errc::function_not_supported);
  s.release(3);
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire());
  EXPECT_FALSE(s.try_acquire());
  // n posts up to exactly the maximum, then one too many. Started near the
  // maximum: filling from 0 is two billion posts (85 s under TSan).
  named_semaphore near(unique_name("near"), existence_policy::raise_if_exists,
                       static_cast<unsigned>(named_semaphore::max() - 3));
  near.release(3, ec);  // fits exactly: 3 posts
  EXPECT_FALSE(ec);
  near.release(1, ec);
  EXPECT_EQ(ec, std::errc::value_too_large);
  EXPECT_TRUE(near.try_acquire());
  near.release(1, ec);  // back at the maximum, so the refused post above lost nothing
  EXPECT_FALSE(ec);
  near.release(2, ec);  // the n-post loop: its first post is refused
  EXPECT_EQ(ec, std::errc::value_too_large);
}

TEST_F(OddMacros, PollingWithALargeCapSleepsInsteadOfSpinning) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  timespec c0{}, c1{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  const auto took = nob_test::time_of([&] { EXPECT_FALSE(s.try_acquire_for(1200ms)); });
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
  const double cpu = static_cast<double>(c1.tv_sec - c0.tv_sec) +
                     static_cast<double>(c1.tv_nsec - c0.tv_nsec) / 1e9;
  EXPECT_GE(took, 1200ms);
  EXPECT_LT(took, 1200ms + nob_test::late_bound);
  EXPECT_LT(cpu, 0.3) << "an invalid tv_nsec makes nanosleep fail and the loop spin";
}

TEST_F(OddMacros, SteadyDeadlinesStillHoldWhenSteadyIsNotAssumedMonotonic) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(s.try_acquire_until(t0 + 300ms));
  EXPECT_GE(std::chrono::steady_clock::now(), t0 + 300ms);
  std::error_code ec;
  const auto t1 = std::chrono::steady_clock::now();
  nob::wait_result r;
  do {
    r = s.wait_once_until(t1 + 200ms, ec);
  } while (r == nob::wait_result::interrupted);
  EXPECT_EQ(r, nob::wait_result::timed_out);
  EXPECT_FALSE(ec);
  EXPECT_GE(std::chrono::steady_clock::now(), t1 + 200ms);
  const pid_t kid = nob_test::post_later_from_process(s, 200ms);
  EXPECT_TRUE(s.try_acquire_for(10s));
  EXPECT_EQ(nob_test::wait_child(kid), 0);
}

}  // namespace
