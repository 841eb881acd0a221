// A signal that arrives just as a wait slice times out (sem_timedwait then
// returns ETIMEDOUT, not EINTR) is not lost: in the sliced path
// (NOB_USE_SEM_CLOCKWAIT=0) wait_once_until() ends after each slice as
// `interrupted`, so a binding that runs its signal handlers between steps
// sees the signal within a slice, not at the deadline.
#include "support.hpp"

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;
using nob::wait_result;
using nob_test::late_bound;
using nob_test::SemTest;
using std::chrono::steady_clock;

constexpr bool sliced = nob::compiled_wait_strategy == nob::wait_strategy::timedwait;

volatile sig_atomic_t slice_signal_seen = 0;
void note_slice_signal(int) { slice_signal_seen = 1; }

class SliceEndSignals : public SemTest {
 protected:
  void SetUp() override {
    if (!sliced) GTEST_SKIP() << "only the sliced sem_timedwait path waits in slices";
    struct sigaction sa {};
    sa.sa_handler = note_slice_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART, as Python installs its handlers
    ::sigaction(SIGUSR2, &sa, &old_);
  }
  void TearDown() override {
    if (sliced) ::sigaction(SIGUSR2, &old_, nullptr);
    SemTest::TearDown();
  }

 private:
  struct sigaction old_ {};
};

TEST_F(SliceEndSignals, OneStepEndsWithTheSliceNotAtTheDeadline) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  std::error_code ec;
  wait_result r = wait_result::acquired;
  const auto start = steady_clock::now();
  r = s.wait_once_until(start + 10s, ec);
  const auto took = steady_clock::now() - start;
  EXPECT_EQ(r, wait_result::interrupted) << "a slice ended: the caller checks its signals";
  EXPECT_FALSE(ec);
  EXPECT_GE(took, std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS) - 5ms);
  EXPECT_LT(took, std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS) + late_bound);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(SliceEndSignals, ASignalAimedAtASliceEndReachesTheCallerWithinASlice) {
  // What a binding does: step, run the handlers (here: look at the flag),
  // step again towards the same deadline. Signals are aimed at the end of
  // the second slice, sweeping 2 ms around it.
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  const pthread_t self = ::pthread_self();
  std::chrono::nanoseconds worst{0};
  for (int i = 0; i < 80; ++i) {
    slice_signal_seen = 0;
    const auto start = steady_clock::now();
    const auto aim = start + 2 * std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS) +
                     std::chrono::microseconds(-1000 + 25 * i);
    std::atomic<long long> sent_ns{0};
    std::thread sender([&] {
      std::this_thread::sleep_until(aim);
      sent_ns.store(steady_clock::now().time_since_epoch().count());
      ::pthread_kill(self, SIGUSR2);
    });
    std::error_code ec;
    wait_result r = wait_result::interrupted;
    while (slice_signal_seen == 0 && r == wait_result::interrupted)
      r = s.wait_once_until(start + 3s, ec);
    const auto seen = steady_clock::now();
    sender.join();
    ASSERT_EQ(r, wait_result::interrupted) << "the deadline came first: the signal was lost, try "
                                           << i;
    EXPECT_EQ(slice_signal_seen, 1);
    EXPECT_FALSE(ec);
    const auto late = seen - steady_clock::time_point(steady_clock::duration(sent_ns.load()));
    if (late > worst) worst = late;
  }
  EXPECT_LT(worst, 1s) << "a signal waited for the deadline";
  EXPECT_EQ(s.value(), 0);
}

}  // namespace
