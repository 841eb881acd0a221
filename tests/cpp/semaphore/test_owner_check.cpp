// owner_check::same_uid refuses to join a semaphore that another user owns
// (a real second uid: a forked child that became nobody).
#include "../common/support.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using nob::owner_check;

class OwnerCheck : public nob_test::SemTest {
 protected:
  /// Makes `name` as uid 65534 (mode 0666), from a forked child.
  void create_as_nobody(const std::string& name) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to become another user";
    const int rc = nob_test::run_in_child([&] {
      if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0)
        return 2;
      named_semaphore s(name, existence_policy::raise_if_exists, 3, 0666);
      s.unlink_on_destroy(false);
      return 0;
    });
    ASSERT_EQ(rc, 0);
  }
};

TEST_F(OwnerCheck, SameUidRefusesAnotherUsersSemaphore) {
  if (!nob::uses_dev_shm) GTEST_SKIP() << "the owner check needs /dev/shm";
  const std::string name = unique_name();
  create_as_nobody(name);
  for (auto policy : {existence_policy::raise_if_not_exists, existence_policy::link_or_create}) {
    try {
      named_semaphore s(name, policy, 1, 0600, owner_check::same_uid);
      FAIL() << "joined another user's semaphore";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code(), std::errc::permission_denied);
      EXPECT_NE(std::string(e.what()).find("owned by another user"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(named_semaphore::exists(name)) << "a refused open must not remove anything";
  named_semaphore joined(name, existence_policy::link_or_create);  // any_owner: POSIX behaviour
  EXPECT_TRUE(joined.linked_existing());
  EXPECT_EQ(joined.value(), 3);
}

TEST_F(OwnerCheck, SameUidOpensOwnAndCreates) {
  const std::string name = unique_name();
  named_semaphore made(name, existence_policy::link_or_create, 2, 0600, owner_check::same_uid);
  EXPECT_FALSE(made.linked_existing());
  if (!nob::uses_dev_shm) return;  // joining cannot be checked without /dev/shm
  named_semaphore again(name, existence_policy::raise_if_not_exists, 1, 0600,
                        owner_check::same_uid);
  EXPECT_TRUE(again.linked_existing());
  EXPECT_EQ(again.value(), 2);
}

TEST_F(OwnerCheck, WithoutDevShmJoiningCannotBeCheckedAndIsRefused) {
  if (nob::uses_dev_shm) GTEST_SKIP() << "this build can check the owner";
  const std::string name = unique_name();
  named_semaphore made(name, existence_policy::raise_if_exists);
  std::error_code ec;
  auto s = named_semaphore::open(name, ec, existence_policy::raise_if_not_exists, 1, 0600,
                                 owner_check::same_uid);
  EXPECT_FALSE(s.has_value());
  EXPECT_EQ(ec, std::errc::not_supported);
}

TEST_F(OwnerCheck, UnknownValueIsABadArgument) {
  EXPECT_THROW(named_semaphore(unique_name(), existence_policy::link_or_create, 1, 0600,
                               static_cast<owner_check>(7)),
               std::invalid_argument);
}

}  // namespace
