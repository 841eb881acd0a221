// Ownership, for both owner_kinds: the creating handle unlinks on close, only in
// the creating process, at most once, never a name someone re-created;
// linkers and moved-from handles own nothing; unlink_on_destroy(false) keeps
// the name.
#include "../common/ipc_support.hpp"

namespace {

using nob::existence_policy;
using nob::named_message_queue;
using nob::named_shared_memory;
using nob_test::IpcTest;

template <class T>
class Ownership : public IpcTest {};

/// True when handle `h` and a fresh open of its name are the same object
/// (on Linux both kinds' native handles are descriptors).
template <class T>
bool same_as_name(const T& h) {
  T other(h.name());
  struct stat a {}, b {};
  ::fstat(h.native_handle(), &a);
  ::fstat(other.native_handle(), &b);
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

struct owner_shm {
  using type = named_shared_memory;
  static type make(const std::string& n, existence_policy p) { return type(n, p, 64); }
};
struct owner_mq {
  using type = named_message_queue;
  static type make(const std::string& n, existence_policy p) { return type(n, p, 2, 16); }
};
using owner_kinds = ::testing::Types<owner_shm, owner_mq>;
TYPED_TEST_SUITE(Ownership, owner_kinds);

TYPED_TEST(Ownership, CreatorUnlinksOnCloseLinkerDoesNot) {
  using T = typename TypeParam::type;
  const std::string name = this->unique_name();
  auto creator = TypeParam::make(name, existence_policy::raise_if_exists);
  {
    auto linker = TypeParam::make(name, existence_policy::link_or_create);
    EXPECT_FALSE(linker.unlink_on_destroy());
  }
  EXPECT_TRUE(T::exists(name)) << "a linker unlinked the name";
  creator.close();
  EXPECT_FALSE(creator.is_open());
  EXPECT_FALSE(T::exists(name));
  creator.close();  // idempotent
}

TYPED_TEST(Ownership, DestructorIsClose) {
  using T = typename TypeParam::type;
  const std::string name = this->unique_name();
  { auto h = TypeParam::make(name, existence_policy::raise_if_exists); }
  EXPECT_FALSE(T::exists(name));
}

TYPED_TEST(Ownership, UnlinkOnDestroyCanBeTurnedOffAndOn) {
  using T = typename TypeParam::type;
  const std::string name = this->unique_name();
  {
    auto h = TypeParam::make(name, existence_policy::raise_if_exists);
    h.unlink_on_destroy(false);
  }
  EXPECT_TRUE(T::exists(name));
  {
    auto h = TypeParam::make(name, existence_policy::raise_if_not_exists);
    EXPECT_FALSE(h.unlink_on_destroy());
    h.unlink_on_destroy(true);
  }
  EXPECT_FALSE(T::exists(name));
}

TYPED_TEST(Ownership, AForkedChildNeverUnlinksItsParentsName) {
  using T = typename TypeParam::type;
  const std::string name = this->unique_name();
  auto h = TypeParam::make(name, existence_policy::raise_if_exists);
  const int rc = nob_test::run_in_child([&] {
    const bool owned = h.unlink_on_destroy();
    h.close();  // in the child: must not unlink
    return owned ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(T::exists(name)) << "the child unlinked its parent's name";
  h.close();
  EXPECT_FALSE(T::exists(name));
}

TYPED_TEST(Ownership, AForkedChildThatTurnsUnlinkOnForALinkedHandleNeverUnlinks) {
  // The contract: only the process that opened the handle unlinks through
  // it. A handle that linked (owning nothing) and then turned on
  // unlink_on_destroy in a forked child must not unlink there either.
  using T = typename TypeParam::type;
  const std::string name = this->unique_name();
  auto creator = TypeParam::make(name, existence_policy::raise_if_exists);
  auto linker = TypeParam::make(name, existence_policy::raise_if_not_exists);
  const int rc = nob_test::run_in_child([&] {
    linker.unlink_on_destroy(true);
    linker.close();  // in the child: must not unlink
    return 0;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_TRUE(T::exists(name)) << "the child unlinked through a handle its parent opened";
  linker.unlink_on_destroy(true);
  linker.close();  // the process that opened it: unlinks
  EXPECT_FALSE(T::exists(name));
}

/// The portable shm_open path cannot tell objects apart: it trusts the name.
template <class T>
bool can_tell_objects_apart() {
  return nob::uses_dev_shm || !std::is_same_v<T, named_shared_memory>;
}

TYPED_TEST(Ownership, ANameReCreatedBySomeoneElseIsLeftAlone) {
  using T = typename TypeParam::type;
  if (!can_tell_objects_apart<T>()) GTEST_SKIP() << "shm_open path: no inode check";
  const std::string name = this->unique_name();
  auto mine = TypeParam::make(name, existence_policy::raise_if_exists);
  ASSERT_TRUE(T::remove(name));
  auto theirs = TypeParam::make(name, existence_policy::raise_if_exists);
  theirs.unlink_on_destroy(false);
  mine.close();
  ASSERT_TRUE(T::exists(name)) << "close() unlinked a re-created name";
  EXPECT_TRUE(same_as_name(theirs));
}

TYPED_TEST(Ownership, ANameReCreatedByAnotherProcessIsLeftAlone) {
  using T = typename TypeParam::type;
  if (!can_tell_objects_apart<T>()) GTEST_SKIP() << "shm_open path: no inode check";
  const std::string name = this->unique_name();
  auto mine = TypeParam::make(name, existence_policy::raise_if_exists);
  const int rc = nob_test::run_in_child([&] {
    auto theirs = TypeParam::make(name, existence_policy::unlink_and_create);
    theirs.unlink_on_destroy(false);
    return 0;
  });
  ASSERT_EQ(rc, 0);
  mine.close();
  EXPECT_TRUE(T::exists(name)) << "close() unlinked another process's object";
}

TYPED_TEST(Ownership, UnlinkRemovesAtOnceAndCloseDoesNotUnlinkAgain) {
  using T = typename TypeParam::type;
  const std::string name = this->unique_name();
  auto h = TypeParam::make(name, existence_policy::raise_if_exists);
  h.unlink();
  EXPECT_FALSE(T::exists(name));
  EXPECT_TRUE(h.is_open());
  // Someone creates the name again: our close must leave it alone.
  auto theirs = TypeParam::make(name, existence_policy::raise_if_exists);
  theirs.unlink_on_destroy(false);
  h.close();
  EXPECT_TRUE(T::exists(name));
  try {
    auto again = TypeParam::make(name, existence_policy::raise_if_not_exists);
    again.unlink();
    again.unlink();
    FAIL() << "second unlink did not throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
}

TYPED_TEST(Ownership, ALinkerMadeOwnerNeverUnlinksFromAForkedChild) {
  using T = typename TypeParam::type;
  const std::string name = this->unique_name();
  auto creator = TypeParam::make(name, existence_policy::raise_if_exists);
  creator.unlink_on_destroy(false);
  auto linker = TypeParam::make(name, existence_policy::raise_if_not_exists);
  linker.unlink_on_destroy(true);  // this process may now unlink through it
  const int rc = nob_test::run_in_child([&] {
    linker.close();
    return 0;
  });
  ASSERT_EQ(rc, 0);
  EXPECT_TRUE(T::exists(name)) << "a forked child unlinked through its parent's handle";
  linker.close();
  EXPECT_FALSE(T::exists(name));
}

TYPED_TEST(Ownership, AMovedFromHandleOwnsNothing) {
  using T = typename TypeParam::type;
  const std::string name = this->unique_name();
  auto a = TypeParam::make(name, existence_policy::raise_if_exists);
  T b(std::move(a));
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_FALSE(a.unlink_on_destroy());
  EXPECT_TRUE(a.name().empty());
  a.close();
  EXPECT_TRUE(T::exists(name));
  EXPECT_TRUE(b.unlink_on_destroy());
  EXPECT_EQ(b.name(), "/" + name);
  T c = TypeParam::make(this->unique_name("c"), existence_policy::raise_if_exists);
  const std::string c_name = c.name();
  c = std::move(b);  // closes c (unlinking its name), takes over b
  EXPECT_FALSE(T::exists(c_name));
  EXPECT_TRUE(T::exists(name));
  c.close();
  EXPECT_FALSE(T::exists(name));
}

/// Runs `f` in a child made by the raw fork system call, which runs no
/// pthread_atfork handler (as _Fork() and clone() do not): the child must
/// still know it is not its parent. f's exit status (101: killed).
template <class F>
int run_in_raw_child(F&& f) {
#ifdef SYS_fork
  const pid_t pid = static_cast<pid_t>(::syscall(SYS_fork));
#else
  const pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0));
#endif
  if (pid < 0) return -1;
  if (pid == 0) {
    int rc = 100;
    try {
      rc = f();
    } catch (...) {
    }
    ::_exit(rc);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

TYPED_TEST(Ownership, AChildMadeWithoutForkHandlersNeverUnlinksItsParentsName) {
  // A child that no fork handler ran in (raw SYS_fork) must find out it is
  // another process all the same: no cache of the pid may outlive a fork
  // (one kept in a MADV_WIPEONFORK page failed this under qemu-aarch64, which
  // accepts the advice and ignores it).
  using T = typename TypeParam::type;
  const std::string name = this->unique_name();
  auto h = TypeParam::make(name, existence_policy::raise_if_exists);
  h.close();  // the parent's close unlinks (and has asked for its pid)
  ASSERT_FALSE(T::exists(name));
  h = TypeParam::make(name, existence_policy::raise_if_exists);
  const int rc = run_in_raw_child([&] {
    h.close();  // in the child: must not unlink
    return T::exists(name) ? 0 : 1;
  });
  EXPECT_EQ(rc, 0) << "the child unlinked its parent's name";
  EXPECT_TRUE(T::exists(name));
  h.close();
  EXPECT_FALSE(T::exists(name));
}

TYPED_TEST(Ownership, AChildUnlinksWhatItCreatesAndItsOwnChildDoesNot) {
  // Each generation is its own process: the child's handle is owned by the
  // child (its close unlinks), and a grandchild made with or without fork
  // handlers never unlinks it.
  using T = typename TypeParam::type;
  const std::string parents = this->unique_name("p");
  const std::string childs = this->unique_name("c");
  auto h = TypeParam::make(parents, existence_policy::raise_if_exists);
  const int rc = nob_test::run_in_child([&] {
    auto mine = TypeParam::make(childs, existence_policy::raise_if_exists);
    if (nob_test::run_in_child([&] { mine.close(); return 0; }) != 0) return 2;
    if (run_in_raw_child([&] { mine.close(); return 0; }) != 0) return 3;
    if (!T::exists(childs)) return 4;  // a grandchild unlinked
    mine.close();
    if (T::exists(childs)) return 5;  // the child's own close did not unlink
    h.close();
    return T::exists(parents) ? 0 : 6;
  });
  EXPECT_EQ(rc, 0);
  if (T::exists(childs)) T::remove(childs);
  EXPECT_TRUE(T::exists(parents));
  h.close();
  EXPECT_FALSE(T::exists(parents));
}

}  // namespace
