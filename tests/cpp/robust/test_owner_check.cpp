// owner_check::same_uid refuses to join a robust semaphore that another user
// owns (a real second uid: a forked child that became nobody); the refused
// open registers nothing and removes nothing.
#include "support.hpp"

#include <cstring>

namespace robust_test {
namespace {

using nob::owner_check;

class RobustOwnerCheck : public RobustTest {
 protected:
  /// Makes `name` as uid 65534 (mode 0666, 3 units), from a forked child:
  /// persistent, or left stale (the child ends without closing).
  void create_as_nobody(const std::string& name, bool persistent = true) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
    const int rc = run_in_child([&] {
      if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0)
        return 2;
      auto* s = new robust_semaphore(name, existence_policy::raise_if_exists, 3, 0666);
      if (!persistent) ::_exit(0);  // never closed: the file stays, with no live user
      s->persistent(true);
      delete s;
      return 0;
    });
    ASSERT_EQ(rc, 0);
    struct stat st {};
    ASSERT_EQ(::stat(shm_path(name).c_str(), &st), 0);
    ASSERT_EQ(st.st_uid, 65534u);
  }
};

TEST_F(RobustOwnerCheck, SameUidRefusesAnotherUsersSemaphore) {
  const std::string name = unique_name();
  create_as_nobody(name);
  for (auto policy : {existence_policy::raise_if_not_exists, existence_policy::link_or_create}) {
    try {
      robust_semaphore s(name, policy, 1, 0600, owner_check::same_uid);
      FAIL() << "joined another user's semaphore";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), std::errc::permission_denied);
      EXPECT_NE(std::string(e.what()).find("owned by another user"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(file_present(name)) << "a refused open must not remove anything";
  robust_semaphore joined(name, existence_policy::link_or_create);  // any_owner: joins
  EXPECT_TRUE(joined.linked_existing());
  EXPECT_EQ(joined.value(), 3);
  // Also when this process already has it open: the check is on the file.
  EXPECT_THROW(robust_semaphore(name, existence_policy::raise_if_not_exists, 1, 0600,
                                owner_check::same_uid),
               std::system_error);
  EXPECT_EQ(joined.value(), 3);
}

TEST_F(RobustOwnerCheck, RefusedStaleFileIsNotRemoved) {
  const std::string name = unique_name();
  create_as_nobody(name, false);  // its maker ended without closing: stale
  try {
    robust_semaphore s(name, existence_policy::link_or_create, 1, 0600, owner_check::same_uid);
    FAIL() << "replaced another user's stale semaphore";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::permission_denied);
  }
  EXPECT_TRUE(file_present(name)) << "a refused open must not remove anything";
  EXPECT_FALSE(robust_semaphore::exists(name));  // stale; this look removes it
  EXPECT_FALSE(file_present(name));
}

TEST_F(RobustOwnerCheck, SameUidOpensOwnAndCreates) {
  const std::string name = unique_name();
  robust_semaphore made(name, existence_policy::link_or_create, 2, 0600, owner_check::same_uid);
  EXPECT_FALSE(made.linked_existing());
  robust_semaphore again(name, existence_policy::raise_if_not_exists, 1, 0600,
                         owner_check::same_uid);
  EXPECT_TRUE(again.linked_existing());
  EXPECT_EQ(again.value(), 2);
}

TEST_F(RobustOwnerCheck, UnknownValueIsABadArgument) {
  const std::string name = unique_name();
  EXPECT_THROW(robust_semaphore(name, existence_policy::link_or_create, 1, 0600,
                                static_cast<owner_check>(7)),
               std::invalid_argument);
  EXPECT_FALSE(file_present(name));
}

}  // namespace
}  // namespace robust_test
