// A signal that arrives just as a wait slice times out (sem_timedwait then
// returns ETIMEDOUT, not EINTR) is not lost: in the sliced path
// (NOB_USE_SEM_CLOCKWAIT=0) wait_once_until() ends after each slice as
// `interrupted`, so a binding that runs its signal handlers between steps
// sees the signal within a slice, not at the deadline.
#include "../common/slice_signals.hpp"

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;
using nob::wait_result;
using nob_test::late_bound;
using nob_test::SemTest;
using std::chrono::steady_clock;

constexpr bool sliced = nob::compiled_wait_strategy == nob::wait_strategy::timedwait;

class SliceEndSignals : public SemTest {
 protected:
  void SetUp() override {
    if (!sliced) GTEST_SKIP() << "only the sliced sem_timedwait path waits in slices";
  }
};

TEST_F(SliceEndSignals, OneStepEndsWithTheSliceNotAtTheDeadline) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  std::error_code ec;
  const auto start = steady_clock::now();
  const wait_result r = s.wait_once_until(start + 10s, ec);
  const auto took = steady_clock::now() - start;
  EXPECT_EQ(r, wait_result::interrupted) << "a slice ended: the caller checks its signals";
  EXPECT_FALSE(ec);
  EXPECT_GE(took, std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS) - 5ms);
  EXPECT_LT(took, std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS) + late_bound);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(SliceEndSignals, ASignalAimedAtASliceEndReachesTheCallerWithinASlice) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  nob_test::slice_signal_handler handler;
  const auto worst = nob_test::aim_signals_at_slice_ends(
      [&](steady_clock::time_point deadline, std::error_code& ec) {
        return s.wait_once_until(deadline, ec);
      });
  EXPECT_LT(worst, 1s) << "a signal waited for the deadline";
  EXPECT_EQ(s.value(), 0);
}

}  // namespace
