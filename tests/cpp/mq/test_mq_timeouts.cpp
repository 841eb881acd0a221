// Timed send and receive never return early, honour the clock of their
// deadline (steady, system, any other), take a message that arrives in
// time, and saturate huge durations instead of overflowing.
#include "../common/ipc_support.hpp"
#include "../common/clocks.hpp"

namespace {

using namespace std::chrono_literals;
using nob::named_message_queue;
using nob_test::IpcTest;
using nob_test::late_bound;
using nob_test::time_of;

class MqTimeouts : public IpcTest {};

TEST_F(MqTimeouts, TryReceiveForNeverReturnsEarly) {
  named_message_queue q = make_queue();
  for (auto wait : {1ms, 30ms, 120ms}) {
    std::optional<named_message_queue::message> got;
    const auto took = time_of([&] { got = q.try_receive_for(wait); });
    EXPECT_FALSE(got);
    EXPECT_GE(took, wait);
    EXPECT_LT(took, wait + late_bound);
  }
}

TEST_F(MqTimeouts, TrySendForNeverReturnsEarlyOnAFullQueue) {
  named_message_queue q = make_queue("q", 1, 8);
  ASSERT_TRUE(q.try_send("full"));
  for (auto wait : {1ms, 30ms, 120ms}) {
    bool sent = true;
    const auto took = time_of([&] { sent = q.try_send_for("more", wait); });
    EXPECT_FALSE(sent);
    EXPECT_GE(took, wait);
    EXPECT_LT(took, wait + late_bound);
  }
  EXPECT_EQ(q.current_messages(), 1u);
}

TEST_F(MqTimeouts, WaitsLongerThanOneSliceAreNotCutShort) {
  // NOB_TIMEDWAIT_SLICE_MS is 50: a 260 ms wait is several slices.
  named_message_queue q = make_queue();
  const auto took = time_of([&] { EXPECT_FALSE(q.try_receive_for(260ms)); });
  EXPECT_GE(took, 260ms);
}

template <class Clock>
void expect_until_not_early(named_message_queue& q) {
  const auto deadline = Clock::now() + 80ms;
  EXPECT_FALSE(q.try_receive_until(deadline));
  EXPECT_GE(Clock::now(), deadline) << "returned early";
  ASSERT_TRUE(q.try_send("x"));
  ASSERT_TRUE(q.try_send("y"));
  ASSERT_TRUE(q.try_send("z"));
  ASSERT_TRUE(q.try_send("w"));
  const auto deadline2 = Clock::now() + 80ms;
  EXPECT_FALSE(q.try_send_until("full", deadline2));
  EXPECT_GE(Clock::now(), deadline2) << "returned early";
  while (q.try_receive()) {
  }
}

TEST_F(MqTimeouts, UntilSteadyClock) {
  named_message_queue q = make_queue();
  expect_until_not_early<std::chrono::steady_clock>(q);
}

TEST_F(MqTimeouts, UntilSystemClock) {
  named_message_queue q = make_queue();
  expect_until_not_early<std::chrono::system_clock>(q);
}

TEST_F(MqTimeouts, UntilAnyOtherClockIsReCheckedOnThatClock) {
  named_message_queue q = make_queue();
  expect_until_not_early<nob_test::offset_clock>(q);
  expect_until_not_early<nob_test::double_clock>(q);
  // half_speed_clock: 40 ms on it is 80 ms of real time.
  const auto took = time_of([&] {
    EXPECT_FALSE(q.try_receive_until(nob_test::half_speed_clock::now() + 40ms));
  });
  EXPECT_GE(took, 80ms);
}

TEST_F(MqTimeouts, AMessageArrivingInTimeIsTaken) {
  named_message_queue q = make_queue();
  std::thread sender([&] {
    std::this_thread::sleep_for(100ms);
    q.send("late but in time", 7);
  });
  std::optional<named_message_queue::message> got;
  const auto took = time_of([&] { got = q.try_receive_for(30s); });
  sender.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->data, "late but in time");
  EXPECT_EQ(got->priority, 7u);
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 100ms + late_bound);
}

TEST_F(MqTimeouts, RoomAppearingInTimeIsUsedByAnotherProcess) {
  named_message_queue q = make_queue("q", 1, 8);
  q.send("full");
  const pid_t kid = nob_test::start_child([&] {
    std::this_thread::sleep_for(100ms);
    return q.receive().data == "full" ? 0 : 1;
  });
  const bool sent = q.try_send_for("next", 30s);
  EXPECT_EQ(nob_test::wait_child(kid), 0);
  EXPECT_TRUE(sent);
  EXPECT_EQ(q.receive().data, "next");
}

TEST_F(MqTimeouts, HugeDurationsSaturate) {
  named_message_queue q = make_queue();
  std::thread sender([&] {
    std::this_thread::sleep_for(50ms);
    q.send("a");
    std::this_thread::sleep_for(50ms);
    q.send("b");
    std::this_thread::sleep_for(50ms);
    q.send("c");
  });
  EXPECT_EQ(q.try_receive_for(std::chrono::nanoseconds::max())->data, "a");
  EXPECT_EQ(q.try_receive_for(std::chrono::hours::max())->data, "b");
  EXPECT_EQ(q.try_receive_until(std::chrono::system_clock::time_point::max())->data, "c");
  sender.join();
}

TEST_F(MqTimeouts, ZeroTriesOnce) {
  named_message_queue q = make_queue("q", 1, 8);
  EXPECT_FALSE(q.try_receive_for(0s));
  EXPECT_TRUE(q.try_send_for("x", 0s));
  EXPECT_FALSE(q.try_send_for("y", 0s));
  EXPECT_EQ(q.try_receive_for(0s)->data, "x");
}

}  // namespace
