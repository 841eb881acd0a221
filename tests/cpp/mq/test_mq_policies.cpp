// Message queues: the four existence policies, attributes on create and on
// link, the system's defaults, read/write access, exists and remove.
#include "../common/ipc_support.hpp"

namespace {

using nob::existence_policy;
using nob::named_message_queue;
using nob_test::IpcTest;
using nob_test::small_count;
using nob_test::small_size;

class MqPolicies : public IpcTest {};

TEST_F(MqPolicies, RaiseIfExistsCreatesWithTheAttributes) {
  const std::string name = unique_name();
  named_message_queue q(name, existence_policy::raise_if_exists, 3, 100);
  EXPECT_FALSE(q.linked_existing());
  EXPECT_TRUE(q.unlink_on_destroy());
  EXPECT_EQ(q.name(), "/" + name);
  EXPECT_EQ(q.max_messages(), 3u);
  EXPECT_EQ(q.max_message_size(), 100u);
  EXPECT_EQ(q.current_messages(), 0u);
  EXPECT_TRUE(q.readable());
  EXPECT_TRUE(q.writable());
  EXPECT_TRUE(q.blocking());
  mq_attr a{};
  ASSERT_EQ(::mq_getattr(q.native_handle(), &a), 0);
  EXPECT_EQ(a.mq_maxmsg, 3);
  EXPECT_EQ(a.mq_msgsize, 100);
  EXPECT_TRUE(named_message_queue::exists(name));
}

TEST_F(MqPolicies, RaiseIfExistsFailsWithFileExists) {
  named_message_queue q = make_queue();
  try {
    named_message_queue again(q.name(), existence_policy::raise_if_exists, 2, 8);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::file_exists);
    EXPECT_NE(std::string(e.what()).find(q.name()), std::string::npos) << e.what();
  }
}

TEST_F(MqPolicies, RaiseIfNotExistsFailsWithNoSuchFile) {
  const std::string name = unique_name();
  try {
    named_message_queue q(name);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
  EXPECT_FALSE(named_message_queue::exists(name));
}

TEST_F(MqPolicies, LinkingTakesTheQueueAsItIs) {
  named_message_queue creator = make_queue("q", 2, 16);
  named_message_queue a(creator.name(), existence_policy::raise_if_not_exists, 7, 99);
  named_message_queue b(creator.name(), existence_policy::link_or_create, 7, 99);
  for (auto* q : {&a, &b}) {
    EXPECT_TRUE(q->linked_existing());
    EXPECT_FALSE(q->unlink_on_destroy());
    EXPECT_EQ(q->max_messages(), 2u);
    EXPECT_EQ(q->max_message_size(), 16u);
  }
  a.send("one", 1);
  EXPECT_EQ(b.current_messages(), 1u);
  EXPECT_EQ(creator.receive().data, "one");
}

TEST_F(MqPolicies, UnlinkAndCreateReplacesTheQueue) {
  named_message_queue old = make_queue("q", 2, 16);
  old.send("stale");
  named_message_queue fresh(old.name(), existence_policy::unlink_and_create, 3, 32);
  EXPECT_FALSE(fresh.linked_existing());
  EXPECT_EQ(fresh.max_messages(), 3u);
  EXPECT_EQ(fresh.current_messages(), 0u);
  EXPECT_EQ(old.current_messages(), 1u) << "the old queue lives on while open";
}

TEST_F(MqPolicies, ZeroMeansTheSystemDefault) {
  const long msg_default = nob::detail::read_proc_long("/proc/sys/fs/mqueue/msg_default", 10);
  const long size_default =
      nob::detail::read_proc_long("/proc/sys/fs/mqueue/msgsize_default", 8192);
  named_message_queue both(unique_name("both"), existence_policy::raise_if_exists);
  EXPECT_EQ(both.max_messages(), static_cast<std::size_t>(msg_default));
  EXPECT_EQ(both.max_message_size(), static_cast<std::size_t>(size_default));
  both.close();
  named_message_queue count_only(unique_name("count"), existence_policy::raise_if_exists, 2);
  EXPECT_EQ(count_only.max_messages(), 2u);
  EXPECT_EQ(count_only.max_message_size(), static_cast<std::size_t>(size_default));
  named_message_queue size_only(unique_name("size"), existence_policy::raise_if_exists, 0, 40);
  EXPECT_EQ(size_only.max_messages(), static_cast<std::size_t>(msg_default));
  EXPECT_EQ(size_only.max_message_size(), 40u);
}

TEST_F(MqPolicies, WriteOnlyAndReadOnlyHandles) {
  named_message_queue q = make_queue();
  named_message_queue w(q.name(), existence_policy::raise_if_not_exists, 0, 0, false, true);
  named_message_queue r(q.name(), existence_policy::raise_if_not_exists, 0, 0, true, false);
  EXPECT_FALSE(w.readable());
  EXPECT_TRUE(w.writable());
  EXPECT_EQ(::fcntl(w.native_handle(), F_GETFL) & O_ACCMODE, O_WRONLY);
  EXPECT_EQ(::fcntl(r.native_handle(), F_GETFL) & O_ACCMODE, O_RDONLY);
  w.send("x");
  char buf[nob_test::small_size];
  try {
    (void)w.try_receive(buf, sizeof buf);
    FAIL() << "received through a write-only handle";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::bad_file_descriptor);
  }
  try {
    r.send("y");
    FAIL() << "sent through a read-only handle";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::bad_file_descriptor);
  }
  EXPECT_EQ(r.receive().data, "x");
  EXPECT_EQ(q.current_messages(), 0u);
}

TEST_F(MqPolicies, ExistsAndRemove) {
  const std::string name = unique_name();
  EXPECT_FALSE(named_message_queue::exists(name));
  EXPECT_FALSE(named_message_queue::remove(name));
  {
    named_message_queue q(name, existence_policy::raise_if_exists, small_count, small_size);
    q.unlink_on_destroy(false);
  }
  EXPECT_TRUE(named_message_queue::exists("/" + name));
  EXPECT_TRUE(named_message_queue::remove("//" + name));
  EXPECT_FALSE(named_message_queue::exists(name));
}

TEST_F(MqPolicies, ExistsSeesAQueueItMayNotOpen) {
  named_message_queue q(unique_name(), existence_policy::raise_if_exists, 2, 8, true, true, 0);
  const int rc = nob_test::run_unprivileged([&] {
    try {
      named_message_queue other(q.name());
      return 1;  // opened a queue of mode 0
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::permission_denied) return 2;
    }
    return named_message_queue::exists(q.name()) ? 0 : 3;
  });
  EXPECT_EQ(rc, 0);
}

TEST_F(MqPolicies, AttributesAboveTheSystemLimitAreASystemError) {
  // Beyond HARD_MSGMAX (65536) even root is refused by the kernel.
  try {
    named_message_queue q(unique_name(), existence_policy::raise_if_exists, 1 << 20, 8);
    FAIL() << "created a queue of 2^20 messages";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::invalid_argument);
  }
}

}  // namespace
