// owner_check::same_uid refuses to join a shared memory object or a message
// queue that another user owns (a real second uid: a forked child that became
// nobody made it, mode 0666); the default joins it, as POSIX does. A refused
// open leaves no descriptor open and removes nothing.
#include "../common/ipc_support.hpp"

#include <dirent.h>

namespace {

using nob::existence_policy;
using nob::named_message_queue;
using nob::named_shared_memory;
using nob::owner_check;
using nob_test::IpcTest;
using nob_test::small_count;
using nob_test::small_size;

/// Descriptors open in this process now.
int open_fd_count() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;  // the same bias (".", "..", the DIR's own fd) every time
}

/// Expects `open` to throw permission_denied naming the reason, with no
/// descriptor left open.
template <class Open>
void expect_refused(Open&& open) {
  const int before = open_fd_count();
  try {
    open();
    ADD_FAILURE() << "joined another user's object";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::permission_denied);
    EXPECT_NE(std::string(e.what()).find("owned by another user"), std::string::npos) << e.what();
  }
  EXPECT_EQ(open_fd_count(), before) << "a refused open left a descriptor open";
}

class OwnerCheck : public IpcTest {
 protected:
  /// Runs `make` as uid 65534 in a forked child (skips unless root).
  template <class Make>
  void as_nobody(Make&& make) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
    ASSERT_EQ(nob_test::run_in_child([&] {
                if (::setresgid(65534, 65534, 65534) != 0 ||
                    ::setresuid(65534, 65534, 65534) != 0)
                  return 2;
                make();
                return 0;
              }),
              0);
  }
};

TEST_F(OwnerCheck, SharedMemorySameUidRefusesAnotherUsersObject) {
  const std::string name = unique_name("shm");
  as_nobody([&] {
    named_shared_memory m(name, existence_policy::raise_if_exists, 64, false, 0666);
    static_cast<unsigned char*>(m.data())[0] = 42;
    m.unlink_on_destroy(false);
  });
  if (HasFatalFailure() || IsSkipped()) return;
  for (auto policy : {existence_policy::raise_if_not_exists, existence_policy::link_or_create}) {
    for (bool read_only : {false, true}) {
      expect_refused([&] {
        named_shared_memory m(name, policy, 16, read_only, 0600, owner_check::same_uid);
      });
    }
  }
  ASSERT_TRUE(named_shared_memory::exists(name)) << "a refused open must not remove anything";
  named_shared_memory joined(name, existence_policy::link_or_create, 16);  // any_owner
  EXPECT_TRUE(joined.linked_existing());
  ASSERT_EQ(joined.size(), 64u);
  EXPECT_EQ(static_cast<unsigned char*>(joined.data())[0], 42);
}

TEST_F(OwnerCheck, SharedMemorySameUidOpensOwnAndCreates) {
  const std::string name = unique_name("shm");
  named_shared_memory made(name, existence_policy::link_or_create, 32, false, 0600,
                           owner_check::same_uid);
  EXPECT_FALSE(made.linked_existing());
  static_cast<unsigned char*>(made.data())[3] = 7;
  named_shared_memory again(name, existence_policy::raise_if_not_exists, 0, true, 0600,
                            owner_check::same_uid);
  EXPECT_TRUE(again.linked_existing());
  ASSERT_EQ(again.size(), 32u);
  EXPECT_EQ(static_cast<const unsigned char*>(again.data())[3], 7);
  named_shared_memory fresh(unique_name("fresh"), existence_policy::raise_if_exists, 8, false, 0600,
                            owner_check::same_uid);
  EXPECT_FALSE(fresh.linked_existing());
}

TEST_F(OwnerCheck, MessageQueueSameUidRefusesAnotherUsersQueue) {
  const std::string name = unique_name("mq");
  as_nobody([&] {
    named_message_queue q(name, existence_policy::raise_if_exists, small_count, small_size, true,
                          true, 0666);
    q.send("planted", 1);
    q.unlink_on_destroy(false);
  });
  if (HasFatalFailure() || IsSkipped()) return;
  for (auto policy : {existence_policy::raise_if_not_exists, existence_policy::link_or_create}) {
    const std::pair<bool, bool> accesses[] = {{true, true}, {true, false}, {false, true}};
    for (const auto& access : accesses) {  // (read, write)
      expect_refused([&] {
        named_message_queue q(name, policy, small_count, small_size, access.first, access.second,
                              0600, owner_check::same_uid);
      });
    }
  }
  ASSERT_TRUE(named_message_queue::exists(name)) << "a refused open must not remove anything";
  named_message_queue joined(name, existence_policy::link_or_create);  // any_owner
  EXPECT_TRUE(joined.linked_existing());
  auto m = joined.try_receive();
  ASSERT_TRUE(m.has_value()) << "the refused opens must not have touched the queue";
  EXPECT_EQ(m->data, "planted");
}

TEST_F(OwnerCheck, MessageQueueSameUidOpensOwnAndCreates) {
  const std::string name = unique_name("mq");
  named_message_queue made(name, existence_policy::link_or_create, small_count, small_size, true,
                           true, 0600, owner_check::same_uid);
  EXPECT_FALSE(made.linked_existing());
  made.send("mine", 2);
  named_message_queue again(name, existence_policy::raise_if_not_exists, 0, 0, true, false, 0600,
                            owner_check::same_uid);
  EXPECT_TRUE(again.linked_existing());
  auto m = again.try_receive();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->data, "mine");
  named_message_queue fresh(unique_name("fresh"), existence_policy::unlink_and_create, small_count,
                            small_size, true, true, 0600, owner_check::same_uid);
  EXPECT_FALSE(fresh.linked_existing());
}

TEST_F(OwnerCheck, UnknownOwnerCheckIsABadArgumentBeforeAnySystemCall) {
  const std::string name = unique_name("bad");
  const auto bad = static_cast<owner_check>(7);
  EXPECT_THROW(named_shared_memory(name, existence_policy::link_or_create, 8, false, 0600, bad),
               std::invalid_argument);
  EXPECT_THROW(named_message_queue(name, existence_policy::link_or_create, small_count,
                                   small_size, true, true, 0600, bad),
               std::invalid_argument);
  EXPECT_FALSE(named_shared_memory::exists(name));
  EXPECT_FALSE(named_message_queue::exists(name));
}

}  // namespace
