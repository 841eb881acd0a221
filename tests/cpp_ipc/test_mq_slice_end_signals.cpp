// A signal that arrives just as a wait slice times out is not lost: a timed
// send_once_until / receive_once_until on the steady clock waits in slices
// of NOB_TIMEDWAIT_SLICE_MS (mq_timed* only know CLOCK_REALTIME), and a
// slice that times out returns ETIMEDOUT, not EINTR, even if a signal
// handler ran. So each step ends after one slice as `interrupted`, and a
// binding that runs its signal handlers between steps sees the signal
// within a slice, not at the deadline.
#include "ipc_support.hpp"

#include <pthread.h>

namespace {

using namespace std::chrono_literals;
using nob::named_message_queue;
using nob::wait_result;
using nob_test::IpcTest;
using nob_test::late_bound;
using std::chrono::steady_clock;

constexpr auto slice = std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS);

volatile sig_atomic_t mq_slice_signal_seen = 0;
void note_mq_slice_signal(int) { mq_slice_signal_seen = 1; }

class MqSliceEndSignals : public IpcTest {
 protected:
  void SetUp() override {
    struct sigaction sa {};
    sa.sa_handler = note_mq_slice_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART, as Python installs its handlers
    ::sigaction(SIGUSR2, &sa, &old_);
  }
  void TearDown() override {
    ::sigaction(SIGUSR2, &old_, nullptr);
    IpcTest::TearDown();
  }

 private:
  struct sigaction old_ {};
};

template <class Step>
void expect_one_slice(Step step) {
  const auto start = steady_clock::now();
  std::error_code ec;
  const wait_result r = step(start + 10s, ec);
  const auto took = steady_clock::now() - start;
  EXPECT_EQ(r, wait_result::interrupted) << "a slice ended: the caller checks its signals";
  EXPECT_FALSE(ec);
  EXPECT_GE(took, slice - 5ms);
  EXPECT_LT(took, slice + late_bound) << "the step slept past its slice";
}

TEST_F(MqSliceEndSignals, OneReceiveStepEndsWithTheSliceNotAtTheDeadline) {
  named_message_queue q = make_queue();
  char buf[nob_test::small_size];
  std::size_t len = 99;
  unsigned prio = 99;
  expect_one_slice([&](steady_clock::time_point deadline, std::error_code& ec) {
    return q.receive_once_until(buf, sizeof buf, len, prio, deadline, ec);
  });
  EXPECT_EQ(len, 99u) << "outputs touched without a message";
}

TEST_F(MqSliceEndSignals, OneSendStepEndsWithTheSliceNotAtTheDeadline) {
  named_message_queue q = make_queue("q", 1, 8);
  q.send("full");
  expect_one_slice([&](steady_clock::time_point deadline, std::error_code& ec) {
    return q.send_once_until("more", 4, 0, deadline, ec);
  });
  EXPECT_EQ(q.current_messages(), 1u);
}

TEST_F(MqSliceEndSignals, ASignalAimedAtASliceEndReachesTheCallerWithinASlice) {
  // What a binding does: step, run the handlers (here: look at the flag),
  // step again towards the same deadline. Signals are aimed at the end of
  // the second slice, sweeping 2 ms around it.
  named_message_queue q = make_queue();
  char buf[nob_test::small_size];
  std::size_t len = 0;
  unsigned prio = 0;
  const pthread_t self = ::pthread_self();
  std::chrono::nanoseconds worst{0};
  for (int i = 0; i < 80; ++i) {
    mq_slice_signal_seen = 0;
    const auto start = steady_clock::now();
    const auto aim = start + 2 * slice + std::chrono::microseconds(-1000 + 25 * i);
    std::atomic<long long> sent_ns{0};
    std::thread sender([&] {
      std::this_thread::sleep_until(aim);
      sent_ns.store(steady_clock::now().time_since_epoch().count());
      ::pthread_kill(self, SIGUSR2);
    });
    std::error_code ec;
    wait_result r = wait_result::interrupted;
    while (mq_slice_signal_seen == 0 && r == wait_result::interrupted)
      r = q.receive_once_until(buf, sizeof buf, len, prio, start + 3s, ec);
    const auto seen = steady_clock::now();
    sender.join();
    ASSERT_EQ(r, wait_result::interrupted) << "the deadline came first: the signal was lost, try "
                                           << i;
    EXPECT_EQ(mq_slice_signal_seen, 1);
    EXPECT_FALSE(ec);
    const auto late = seen - steady_clock::time_point(steady_clock::duration(sent_ns.load()));
    if (late > worst) worst = late;
  }
  EXPECT_LT(worst, 1s) << "a signal waited for the deadline";
  EXPECT_EQ(q.current_messages(), 0u);
}

}  // namespace
