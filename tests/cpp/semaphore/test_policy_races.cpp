// The existence policies under races and full file systems:
// unlink_and_create against a process that re-creates the name as fast as it
// can (one step with /dev/shm: never file_exists; a bounded number of rounds
// through sem_open); link_or_create opens first (as glibc), so an existing name
// opens even on a full /dev/shm; unlink() removes only its own semaphore.
#include "../common/support.hpp"

#include "../common/recreator.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>

#include <atomic>
#include <fstream>

namespace {

using nob::existence_policy;
using nob::named_semaphore;

class PolicyRaces : public nob_test::SemTest {};

TEST_F(PolicyRaces, UnlinkAndCreateAgainstAProcessThatRecreatesTheName) {
  // The adversary: a child that links a ready semaphore file under the name
  // as fast as it can, one link(2) per attempt, while we unlink_and_create
  // in a loop (keeping each new semaphore under the name).
  const std::string name = unique_name();
  const std::string source = unique_name("src");
  named_semaphore(source, existence_policy::raise_if_exists, 0).unlink_on_destroy(false);
  const nob_test::race_outcome r = nob_test::race_against_links(
      "/dev/shm/sem." + source, "/dev/shm/sem." + name, [&] {
        named_semaphore(name, existence_policy::unlink_and_create, 0).unlink_on_destroy(false);
      });
  EXPECT_TRUE(nob_test::kept_unlink_and_create_promise(r, nob::uses_dev_shm,
                                                       nob::detail::unlink_and_create_tries));
}

TEST_F(PolicyRaces, UnlinkRemovesOnlyItsOwnSemaphore) {
  if (!nob::uses_dev_shm) GTEST_SKIP() << "the inode check needs /dev/shm";
  const std::string name = unique_name();
  named_semaphore mine(name, existence_policy::raise_if_exists, 0);
  ASSERT_TRUE(named_semaphore::remove(name));
  named_semaphore theirs(name, existence_policy::raise_if_exists, 4);
  try {
    mine.unlink();
    FAIL() << "unlink() removed a name that is no longer its own";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(e.what()).find("another semaphore"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(named_semaphore::exists(name));
  mine.close();
  EXPECT_TRUE(named_semaphore::exists(name));
  EXPECT_EQ(theirs.value(), 4);
}

TEST_F(PolicyRaces, LinkOrCreateOpensAnExistingNameOnAFullDevShm) {
  if (!nob::uses_dev_shm) GTEST_SKIP() << "needs /dev/shm";
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a private tmpfs";
  // A private mount namespace with a tiny tmpfs on /dev/shm, in a child.
  const int rc = nob_test::run_in_child([] {
    if (::unshare(CLONE_NEWNS) != 0) return 20;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 21;
    if (::mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=64k,mode=1777") != 0) return 22;
    named_semaphore s("full-shm", existence_policy::raise_if_exists, 5);
    {  // fill the file system
      std::ofstream fill("/dev/shm/filler", std::ios::binary);
      std::string block(4096, 'x');
      while (fill.write(block.data(), static_cast<std::streamsize>(block.size()))) {
        fill.flush();
        if (!fill) break;
      }
    }
    try {
      named_semaphore probe("full-shm-new", existence_policy::raise_if_exists);
      return 23;  // not full after all: the test proves nothing
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::no_space_on_device) return 24;
    }
    try {
      named_semaphore again("full-shm", existence_policy::link_or_create);
      return again.linked_existing() && again.value() == 5 ? 0 : 25;
    } catch (const std::system_error&) {
      return 26;  // ENOSPC: it tried to create before opening
    }
  });
  if (rc >= 20 && rc <= 23) GTEST_SKIP() << "could not make a full private /dev/shm (" << rc << ")";
  EXPECT_EQ(rc, 0);
}

}  // namespace
