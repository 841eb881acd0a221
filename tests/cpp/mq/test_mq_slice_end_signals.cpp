// A signal that arrives just as a wait slice times out is not lost: a timed
// send_once_until / receive_once_until on the steady clock waits in slices
// of NOB_TIMEDWAIT_SLICE_MS (mq_timed* only know CLOCK_REALTIME), and a
// slice that times out returns ETIMEDOUT, not EINTR, even if a signal
// handler ran. So each step ends after one slice as `interrupted`, and a
// binding that runs its signal handlers between steps sees the signal
// within a slice, not at the deadline.
#include "../common/slice_signals.hpp"
#include "../common/ipc_support.hpp"

namespace {

using namespace std::chrono_literals;
using nob::named_message_queue;
using nob::wait_result;
using nob_test::IpcTest;
using nob_test::late_bound;
using std::chrono::steady_clock;

constexpr auto slice = std::chrono::milliseconds(NOB_TIMEDWAIT_SLICE_MS);

class MqSliceEndSignals : public IpcTest {};

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
  named_message_queue q = make_queue();
  char buf[nob_test::small_size];
  std::size_t len = 0;
  unsigned prio = 0;
  nob_test::slice_signal_handler handler;
  const auto worst = nob_test::aim_signals_at_slice_ends(
      [&](steady_clock::time_point deadline, std::error_code& ec) {
        return q.receive_once_until(buf, sizeof buf, len, prio, deadline, ec);
      });
  EXPECT_LT(worst, 1s) << "a signal waited for the deadline";
  EXPECT_EQ(q.current_messages(), 0u);
}

}  // namespace
