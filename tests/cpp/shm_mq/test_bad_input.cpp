// Bad input is refused with std::invalid_argument before any system call
// (proved under a seccomp filter that kills the process on any IPC call),
// and nothing is created, sent or lost.
#include "../common/ipc_support.hpp"

#include <cmath>
#include <limits>

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_message_queue;
using nob::named_shared_memory;
using nob_test::IpcTest;
using nob_test::refused_before_any_syscall;

class BadInput : public IpcTest {};

std::vector<std::string> bad_names() {
  using namespace std::string_literals;
  return {""s,  "/"s,   "//"s,   "a/b"s, "a b"s, "a@b"s, "a\0b"s, "caf\xc3\xa9"s,
          "."s, ".."s,  "/.."s,  "a\nb"s, std::string(252, 'x'), "/" + std::string(252, 'y')};
}

TEST_F(BadInput, BadNamesAreRefusedBeforeAnySystemCall) {
  for (const std::string& bad : bad_names()) {
    const std::string_view sv(bad.data(), bad.size());
    SCOPED_TRACE("name of " + std::to_string(bad.size()) + " bytes");
    for (auto policy : {existence_policy::raise_if_exists, existence_policy::link_or_create,
                        existence_policy::raise_if_not_exists,
                        existence_policy::unlink_and_create}) {
      EXPECT_TRUE(refused_before_any_syscall([&] { named_shared_memory m(sv, policy, 8); }));
      EXPECT_TRUE(refused_before_any_syscall([&] { named_message_queue q(sv, policy, 1, 8); }));
    }
    EXPECT_TRUE(refused_before_any_syscall([&] { named_shared_memory::exists(sv); }));
    EXPECT_TRUE(refused_before_any_syscall([&] { named_shared_memory::remove(sv); }));
    EXPECT_TRUE(refused_before_any_syscall([&] { named_message_queue::exists(sv); }));
    EXPECT_TRUE(refused_before_any_syscall([&] { named_message_queue::remove(sv); }));
  }
}

TEST_F(BadInput, TheGuardItselfCatchesASystemCall) {
  // The proof above means something only if a call that does reach the
  // kernel is caught: an open of a missing object must kill the child.
  const std::string name = unique_name();
  EXPECT_FALSE(refused_before_any_syscall([&] { named_message_queue q(name); }));
  EXPECT_FALSE(refused_before_any_syscall([&] { named_shared_memory m(name); }));
}

TEST_F(BadInput, BadConstructorArgumentsAreRefusedBeforeAnySystemCall) {
  const std::string name = unique_name();
  const auto create = existence_policy::raise_if_exists;
  EXPECT_TRUE(refused_before_any_syscall([&] { named_shared_memory(name, create, 8, false, 01600); }));
  EXPECT_TRUE(refused_before_any_syscall([&] { named_shared_memory(name, create, 8, false, 04000); }));
  EXPECT_TRUE(refused_before_any_syscall(
      [&] { named_shared_memory(name, static_cast<existence_policy>(9), 8); }));
  if (sizeof(std::size_t) >= sizeof(off_t)) {
    EXPECT_TRUE(refused_before_any_syscall(
        [&] { named_shared_memory(name, create, std::numeric_limits<std::size_t>::max()); }));
  }
  EXPECT_TRUE(refused_before_any_syscall(
      [&] { named_message_queue(name, create, 1, 8, true, true, 01000); }));
  EXPECT_TRUE(refused_before_any_syscall(
      [&] { named_message_queue(name, create, 1, 8, false, false); }));
  EXPECT_TRUE(refused_before_any_syscall(
      [&] { named_message_queue(name, static_cast<existence_policy>(-1), 1, 8); }));
  EXPECT_TRUE(refused_before_any_syscall([&] {
    named_message_queue(name, create, std::numeric_limits<std::size_t>::max(), 8);
  }));
  EXPECT_TRUE(refused_before_any_syscall([&] {
    named_message_queue(name, create, 1, std::numeric_limits<std::size_t>::max());
  }));
  EXPECT_FALSE(named_shared_memory::exists(name));
  EXPECT_FALSE(named_message_queue::exists(name));
}

TEST_F(BadInput, AMessageLongerThanTheMaximumIsRefusedAndNothingIsSent) {
  named_message_queue q = make_queue("q", 2, 16);
  const std::string fits(16, 'a'), too_long(17, 'b');
  EXPECT_THROW(q.send(too_long), std::invalid_argument);
  EXPECT_THROW((void)q.try_send(too_long), std::invalid_argument);
  EXPECT_THROW((void)q.try_send_for(too_long, 10ms), std::invalid_argument);
  EXPECT_THROW((void)q.try_send_until(too_long, std::chrono::steady_clock::now() + 10ms),
               std::invalid_argument);
  EXPECT_THROW(q.send(too_long.data(), too_long.size(), 0), std::invalid_argument);
  EXPECT_EQ(q.current_messages(), 0u);
  EXPECT_TRUE(refused_before_any_syscall([&] { q.send(too_long); }));
  q.send(fits);
  EXPECT_EQ(q.receive().data, fits);
}

TEST_F(BadInput, APriorityAboveTheMaximumIsRefusedAndNothingIsSent) {
  named_message_queue q = make_queue();
  const unsigned too_high = named_message_queue::max_priority() + 1;
  EXPECT_EQ(named_message_queue::max_priority(), 32767u);
  EXPECT_THROW(q.send("x", too_high), std::invalid_argument);
  EXPECT_THROW((void)q.try_send("x", too_high), std::invalid_argument);
  EXPECT_THROW((void)q.try_send_for("x", 1ms, too_high), std::invalid_argument);
  EXPECT_TRUE(refused_before_any_syscall([&] { q.send("x", too_high); }));
  EXPECT_EQ(q.current_messages(), 0u);
  q.send("x", named_message_queue::max_priority());
  EXPECT_EQ(q.receive().priority, named_message_queue::max_priority());
}

TEST_F(BadInput, AReceiveBufferSmallerThanTheMaximumIsRefusedAndNothingIsLost) {
  named_message_queue q = make_queue("q", 2, 16);
  q.send("keep me");
  char small[15];
  EXPECT_THROW(q.receive(small, sizeof small), std::invalid_argument);
  EXPECT_THROW((void)q.try_receive(small, sizeof small), std::invalid_argument);
  EXPECT_THROW((void)q.try_receive_for(small, sizeof small, 1ms), std::invalid_argument);
  EXPECT_THROW((void)q.try_receive(nullptr, 16), std::invalid_argument);
  EXPECT_TRUE(refused_before_any_syscall([&] { q.receive(small, sizeof small); }));
  EXPECT_EQ(q.current_messages(), 1u);
  EXPECT_EQ(q.receive().data, "keep me");
}

TEST_F(BadInput, NullDataWithASizeIsRefused) {
  named_message_queue q = make_queue();
  EXPECT_THROW(q.send(nullptr, 3, 0), std::invalid_argument);
  q.send(nullptr, 0, 0);  // an empty message is fine
  const auto m = q.receive();
  EXPECT_TRUE(m.data.empty());
}

TEST_F(BadInput, NegativeAndNaNDurationsTryOnceWithoutWaiting) {
  named_message_queue q = make_queue("q", 1, 8);
  const auto nan = std::chrono::duration<double>(std::nan(""));
  const auto took = nob_test::time_of([&] {
    EXPECT_FALSE(q.try_receive_for(-5s));
    EXPECT_FALSE(q.try_receive_for(nan));
    EXPECT_FALSE(q.try_receive_for(std::chrono::duration<double>(-0.0)));
    EXPECT_FALSE(q.try_receive_until(std::chrono::steady_clock::now() - 1h));
    EXPECT_FALSE(q.try_receive_until(
        std::chrono::time_point<std::chrono::system_clock, std::chrono::duration<double>>(nan)));
  });
  EXPECT_LT(took, 1s);
  EXPECT_TRUE(q.try_send_for("a", -1s));  // room: the one try sends
  EXPECT_FALSE(q.try_send_for("b", nan));
  EXPECT_FALSE(q.try_send_until("b", std::chrono::system_clock::time_point::min()));
  EXPECT_EQ(q.current_messages(), 1u);
}

}  // namespace
