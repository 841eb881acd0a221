// Message queue calls in normal use: the string and buffer forms, binary
// and empty messages, blocking(false), current_messages, a queue shared
// with a forked child.
#include "../common/ipc_support.hpp"

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_message_queue;
using nob_test::IpcTest;

class MqMessages : public IpcTest {};

TEST_F(MqMessages, SendWithAStringLiteralAndAPriorityMeansThePriority) {
  named_message_queue q = make_queue();
  q.send("hello", 3);  // the string "hello" at priority 3, not 3 bytes
  const auto m = q.receive();
  EXPECT_EQ(m.data, "hello");
  EXPECT_EQ(m.priority, 3u);
}

TEST_F(MqMessages, BinaryMessagesKeepEveryByte) {
  named_message_queue q = make_queue();
  std::string bin("\0\x01\xff\0z", 5);
  q.send(bin.data(), bin.size(), 2);
  char buf[nob_test::small_size];
  const auto r = q.receive(buf, sizeof buf);
  EXPECT_EQ(r.size, 5u);
  EXPECT_EQ(r.priority, 2u);
  EXPECT_EQ(std::string(buf, r.size), bin);
  q.send(std::string_view(bin));
  EXPECT_EQ(q.receive().data, bin);
}

TEST_F(MqMessages, AMessageOfExactlyTheMaximumAndAnEmptyOne) {
  named_message_queue q = make_queue("q", 2, 16);
  q.send(std::string(16, 'm'));
  q.send("");
  EXPECT_EQ(q.receive().data, std::string(16, 'm'));
  const auto e = q.try_receive();
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->data.empty());
}

TEST_F(MqMessages, CurrentMessagesCounts) {
  named_message_queue q = make_queue();
  for (std::size_t i = 0; i < q.max_messages(); ++i) {
    EXPECT_EQ(q.current_messages(), i);
    EXPECT_TRUE(q.try_send("m"));
  }
  EXPECT_FALSE(q.try_send("one too many"));
  EXPECT_EQ(q.current_messages(), q.max_messages());
}

TEST_F(MqMessages, NonBlockingSendAndReceiveThrowInsteadOfWaiting) {
  named_message_queue q = make_queue("q", 1, 8);
  q.blocking(false);
  EXPECT_FALSE(q.blocking());
  try {
    (void)q.receive();
    FAIL() << "received from an empty queue";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::resource_unavailable_try_again);
  }
  q.send("x");
  try {
    q.send("y");
    FAIL() << "sent to a full queue";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::resource_unavailable_try_again);
  }
  EXPECT_EQ(::fcntl(q.native_handle(), F_GETFL) & O_NONBLOCK, 0) << "O_NONBLOCK was set";
  // The timed calls still wait.
  const auto took = nob_test::time_of([&] { EXPECT_FALSE(q.try_send_for("z", 60ms)); });
  EXPECT_GE(took, 60ms);
  EXPECT_EQ(q.receive().data, "x");
  q.blocking(true);
  EXPECT_TRUE(q.blocking());
}

TEST_F(MqMessages, AForkedChildSharesTheQueue) {
  named_message_queue q = make_queue();
  const pid_t kid = nob_test::start_child([&] {
    const auto m = q.receive();
    q.send(m.data + " back", m.priority + 1);
    return 0;
  });
  q.send("ping", 1);
  // Wait for the child first, or this process could receive its own ping.
  EXPECT_EQ(nob_test::wait_child(kid), 0);
  const auto m = q.receive();
  EXPECT_EQ(m.data, "ping back");
  EXPECT_EQ(m.priority, 2u);
}

TEST_F(MqMessages, ManyMessagesBetweenTwoProcessesArriveInOrder) {
  named_message_queue q = make_queue();
  constexpr int count = 2000;
  const pid_t sender = nob_test::start_child([&] {
    named_message_queue w(q.name(), existence_policy::raise_if_not_exists, 0, 0, false, true);
    for (int i = 0; i < count; ++i) w.send(std::to_string(i));
    return 0;
  });
  int bad = 0;
  for (int i = 0; i < count; ++i) bad += q.receive().data != std::to_string(i);
  EXPECT_EQ(nob_test::wait_child(sender), 0);
  EXPECT_EQ(bad, 0);
}

}  // namespace
