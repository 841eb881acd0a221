// Timed sends and receives with deadlines of every shape
// (tests/cpp/common/deadline_shapes.hpp): a far deadline waits for room or
// for a message that comes later (never false at once, never an overflow); a
// passed deadline or NaN is one try.
#include "../common/ipc_support.hpp"

#include "../common/deadline_shapes.hpp"

namespace {

using nob::named_message_queue;
using nob_test::IpcTest;

class MqDeadlineShapes : public IpcTest {};

TEST_F(MqDeadlineShapes, FarDeadlinesWaitForAMessage) {
  named_message_queue q = make_queue();
  char buf[nob_test::small_size];
  auto receives_until = [&](const char* what, auto deadline) {
    EXPECT_TRUE(nob_test::waits_for_the_supply(
        what, [&] { return q.try_receive_until(buf, sizeof buf, deadline).has_value(); },
        [&] { q.send("m"); }, [&] { q.try_receive(buf, sizeof buf); }));
  };
  nob_test::for_each_far_time_point(receives_until);
  nob_test::for_each_far_duration([&](const char* what, auto rel) {
    EXPECT_TRUE(nob_test::waits_for_the_supply(
        what, [&] { return q.try_receive_for(buf, sizeof buf, rel).has_value(); },
        [&] { q.send("m"); }, [&] { q.try_receive(buf, sizeof buf); }));
  });
}

TEST_F(MqDeadlineShapes, FarDeadlinesWaitForRoom) {
  named_message_queue q = make_queue();
  for (std::size_t i = 0; i < q.max_messages(); ++i) q.send("full");
  char buf[nob_test::small_size];
  auto make_room = [&] { q.receive(buf, sizeof buf); };
  auto fill_again = [&] { q.try_send("full"); };
  nob_test::for_each_far_time_point([&](const char* what, auto deadline) {
    EXPECT_TRUE(nob_test::waits_for_the_supply(
        what, [&] { return q.try_send_until("again", deadline); }, make_room, fill_again));
  });
  nob_test::for_each_far_duration([&](const char* what, auto rel) {
    EXPECT_TRUE(nob_test::waits_for_the_supply(
        what, [&] { return q.try_send_for("again", rel); }, make_room, fill_again));
  });
}

TEST_F(MqDeadlineShapes, PassedOrNaNIsOneTry) {
  named_message_queue q = make_queue();
  char buf[nob_test::small_size];
  nob_test::for_each_passed_time_point([&](const char* what, auto deadline) {
    EXPECT_TRUE(nob_test::is_one_try(
        what, [&] { return q.try_receive_until(buf, sizeof buf, deadline).has_value(); }));
    EXPECT_TRUE(q.try_send_until("m", deadline)) << what << ": one try sends when there is room";
    EXPECT_TRUE(q.try_receive_until(buf, sizeof buf, deadline).has_value()) << what;
  });
  nob_test::for_each_passed_duration([&](const char* what, auto rel) {
    EXPECT_TRUE(nob_test::is_one_try(
        what, [&] { return q.try_receive_for(buf, sizeof buf, rel).has_value(); }));
    EXPECT_TRUE(q.try_send_for("m", rel)) << what << ": one try sends when there is room";
    EXPECT_TRUE(q.try_receive_for(buf, sizeof buf, rel).has_value()) << what;
  });
  for (std::size_t i = 0; i < q.max_messages(); ++i) q.send("full");
  nob_test::for_each_passed_time_point([&](const char* what, auto deadline) {
    EXPECT_TRUE(nob_test::is_one_try(what, [&] { return q.try_send_until("x", deadline); }));
  });
}

}  // namespace
