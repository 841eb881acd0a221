// Who unlinks the name: the creating handle by default, on close() or
// destruction, only in the creating process, at most once, and only while
// the name still refers to the semaphore this handle opened.
#include "../common/support.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using nob_test::SemTest;

class Ownership : public SemTest {};

TEST_F(Ownership, CreatorOwnsByDefaultAndLinkerDoesNot) {
  const std::string name = unique_name();
  named_semaphore creator(name, existence_policy::raise_if_exists);
  named_semaphore linker(name, existence_policy::raise_if_not_exists);
  EXPECT_TRUE(creator.unlink_on_destroy());
  EXPECT_FALSE(linker.unlink_on_destroy());
}

TEST_F(Ownership, CloseUnlinksTheCreatedName) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  s.close();
  EXPECT_FALSE(s.is_open());
  EXPECT_EQ(s.native_handle(), nullptr);
  EXPECT_FALSE(named_semaphore::exists(name));
}

TEST_F(Ownership, DestructorUnlinksTheCreatedName) {
  const std::string name = unique_name();
  { named_semaphore s(name, existence_policy::link_or_create); }
  EXPECT_FALSE(named_semaphore::exists(name));
}

TEST_F(Ownership, LinkerCloseLeavesTheName) {
  const std::string name = unique_name();
  named_semaphore creator(name, existence_policy::raise_if_exists);
  { named_semaphore linker(name, existence_policy::link_or_create); }
  EXPECT_TRUE(named_semaphore::exists(name));
}

TEST_F(Ownership, SetterFalseKeepsTheName) {
  const std::string name = unique_name();
  {
    named_semaphore s(name, existence_policy::raise_if_exists);
    s.unlink_on_destroy(false);
    EXPECT_FALSE(s.unlink_on_destroy());
  }
  EXPECT_TRUE(named_semaphore::exists(name));
}

TEST_F(Ownership, SetterTrueMakesALinkerUnlink) {
  const std::string name = unique_name();
  named_semaphore creator(name, existence_policy::raise_if_exists);
  creator.unlink_on_destroy(false);
  named_semaphore linker(name);
  linker.unlink_on_destroy(true);
  EXPECT_TRUE(linker.unlink_on_destroy());
  linker.close();
  EXPECT_FALSE(named_semaphore::exists(name));
}

TEST_F(Ownership, CloseIsIdempotent) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  s.close();
  named_semaphore again(name, existence_policy::raise_if_exists);  // same name, new semaphore
  again.unlink_on_destroy(false);
  s.close();
  EXPECT_TRUE(named_semaphore::exists(name)) << "a second close() must not unlink anything";
}

TEST_F(Ownership, ForkedChildNeverUnlinksByClose) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  const int rc = nob_test::run_in_child([&] {
    s.unlink_on_destroy(true);
    s.close();
    return 0;
  });
  ASSERT_EQ(rc, 0);
  EXPECT_TRUE(named_semaphore::exists(name));
  EXPECT_TRUE(s.unlink_on_destroy());
  s.close();
  EXPECT_FALSE(named_semaphore::exists(name)) << "the parent still owns it";
}

TEST_F(Ownership, ForkedChildNeverUnlinksByDestructor) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  const int rc = nob_test::run_in_child([&] {
    { named_semaphore mine(std::move(s)); }
    return 0;
  });
  ASSERT_EQ(rc, 0);
  EXPECT_TRUE(named_semaphore::exists(name));
}

TEST_F(Ownership, ForkedChildMayStillUseTheInheritedHandle) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists, 0);
  const int rc = nob_test::run_in_child([&] {
    s.release(2);
    return 0;
  });
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(s.value(), 2);
}

TEST_F(Ownership, ExplicitUnlinkRemovesTheNameNowAndTheHandleLivesOn) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists, 0);
  s.unlink();
  EXPECT_FALSE(named_semaphore::exists(name));
  EXPECT_TRUE(s.is_open());
  s.release();
  EXPECT_TRUE(s.try_acquire());
}

TEST_F(Ownership, CloseAfterUnlinkLeavesANewSameNamedSemaphore) {
  const std::string name = unique_name();
  named_semaphore old(name, existence_policy::raise_if_exists);
  old.unlink();
  named_semaphore fresh(name, existence_policy::raise_if_exists, 3);
  fresh.unlink_on_destroy(false);
  old.close();
  EXPECT_TRUE(named_semaphore::exists(name));
  named_semaphore by_name(name);
  EXPECT_EQ(by_name.value(), 3);
}

TEST_F(Ownership, UnlinkTwiceReportsNoSuchFile) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  s.unlink();
  try {
    s.unlink();
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
}

TEST_F(Ownership, RecreatedByAnotherProcessIsLeftAlone) {
  if (!nob::uses_dev_shm) GTEST_SKIP() << "the inode check needs /dev/shm";
  const std::string name = unique_name();
  named_semaphore mine(name, existence_policy::raise_if_exists, 0);
  const int rc = nob_test::run_in_child([&] {
    named_semaphore::remove(name);
    named_semaphore theirs(name, existence_policy::raise_if_exists, 7);
    theirs.unlink_on_destroy(false);
    return 0;
  });
  ASSERT_EQ(rc, 0);
  ASSERT_TRUE(mine.unlink_on_destroy());
  mine.close();
  ASSERT_TRUE(named_semaphore::exists(name)) << "close() removed someone else's semaphore";
  named_semaphore theirs(name);
  EXPECT_EQ(theirs.value(), 7);
}

TEST_F(Ownership, RecreatedInThisProcessIsLeftAlone) {
  if (!nob::uses_dev_shm) GTEST_SKIP() << "the inode check needs /dev/shm";
  const std::string name = unique_name();
  named_semaphore mine(name, existence_policy::raise_if_exists);
  ASSERT_TRUE(named_semaphore::remove(name));
  named_semaphore other(name, existence_policy::raise_if_exists, 4);
  other.unlink_on_destroy(false);
  mine.close();
  EXPECT_TRUE(named_semaphore::exists(name));
  EXPECT_EQ(other.value(), 4);
}

TEST_F(Ownership, UnlinkAndCreateByAnotherHandleIsLeftAlone) {
  if (!nob::uses_dev_shm) GTEST_SKIP() << "the inode check needs /dev/shm";
  const std::string name = unique_name();
  named_semaphore first(name, existence_policy::raise_if_exists);
  named_semaphore second(name, existence_policy::unlink_and_create);
  second.unlink_on_destroy(false);
  first.close();
  EXPECT_TRUE(named_semaphore::exists(name));
}

TEST_F(Ownership, MovedFromOwnsNothing) {
  const std::string name = unique_name();
  named_semaphore a(name, existence_policy::raise_if_exists, 2);
  named_semaphore b(std::move(a));
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(a.unlink_on_destroy());
  EXPECT_EQ(a.native_handle(), nullptr);
  EXPECT_TRUE(a.name().empty());
  a.close();
  EXPECT_TRUE(named_semaphore::exists(name));
  EXPECT_TRUE(b.is_open());
  EXPECT_EQ(b.name(), "/" + name);
  EXPECT_TRUE(b.unlink_on_destroy());
  EXPECT_FALSE(b.linked_existing());
  EXPECT_EQ(b.value(), 2);
  b.close();
  EXPECT_FALSE(named_semaphore::exists(name));
}

TEST_F(Ownership, MoveAssignmentClosesTheTargetFirst) {
  const std::string target = unique_name("target");
  const std::string source = unique_name("source");
  named_semaphore a(target, existence_policy::raise_if_exists, 1);
  named_semaphore b(source, existence_policy::raise_if_exists, 5);
  a = std::move(b);
  EXPECT_FALSE(named_semaphore::exists(target)) << "the target's own name was not unlinked";
  EXPECT_TRUE(named_semaphore::exists(source));
  EXPECT_FALSE(b.is_open());  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(b.unlink_on_destroy());
  EXPECT_EQ(a.name(), "/" + source);
  EXPECT_EQ(a.value(), 5);
  EXPECT_TRUE(a.unlink_on_destroy());
  b.close();
  EXPECT_TRUE(named_semaphore::exists(source));
  a.close();
  EXPECT_FALSE(named_semaphore::exists(source));
}

TEST_F(Ownership, MoveAssignmentKeepsALinkersNonOwnership) {
  const std::string name = unique_name();
  named_semaphore creator(name, existence_policy::raise_if_exists);
  named_semaphore a(unique_name("other"), existence_policy::raise_if_exists);
  a = named_semaphore(name);
  EXPECT_TRUE(a.linked_existing());
  EXPECT_FALSE(a.unlink_on_destroy());
  a.close();
  EXPECT_TRUE(named_semaphore::exists(name));
}

TEST_F(Ownership, SelfMoveAssignmentKeepsTheHandle) {
  const std::string name = unique_name();
  named_semaphore a(name, existence_policy::raise_if_exists, 3);
  named_semaphore& alias = a;
  a = std::move(alias);
  EXPECT_TRUE(a.is_open());
  EXPECT_EQ(a.value(), 3);
  EXPECT_TRUE(named_semaphore::exists(name));
}

TEST_F(Ownership, MovedHandleInForkedChildStillDoesNotUnlink) {
  // The creating process is remembered across moves.
  const std::string name = unique_name();
  const std::string child_name = unique_name("child");
  named_semaphore s(name, existence_policy::raise_if_exists);
  const int rc = nob_test::run_in_child([&] {
    named_semaphore moved(child_name, existence_policy::raise_if_exists);
    moved = std::move(s);  // closes (and unlinks) the child's own, takes the parent's
    moved.close();
    return 0;
  });
  ASSERT_EQ(rc, 0);
  EXPECT_TRUE(named_semaphore::exists(name));
  EXPECT_FALSE(named_semaphore::exists(child_name)) << "the child's own semaphore was its to unlink";
}

TEST_F(Ownership, MoveOnlyAndNoexcept) {
  static_assert(!std::is_copy_constructible_v<named_semaphore>);
  static_assert(!std::is_copy_assignable_v<named_semaphore>);
  static_assert(std::is_nothrow_move_constructible_v<named_semaphore>);
  static_assert(std::is_nothrow_move_assignable_v<named_semaphore>);
  static_assert(std::is_nothrow_destructible_v<named_semaphore>);
  static_assert(noexcept(std::declval<named_semaphore&>().close()));
  static_assert(noexcept(std::declval<named_semaphore&>().unlock()));
  static_assert(!std::is_convertible_v<const char*, named_semaphore>, "the constructor is explicit");
  SUCCEED();
}

}  // namespace
