// A FIFO at the name that the caller may read but not write (another user's
// 0444 FIFO): exists(), remove() and the creating policies answer at once and
// never block waiting for a writer of the FIFO (they did: exists() hung).
#include "support.hpp"

#include <sys/stat.h>

namespace robust_test {
namespace {

class FifoAtName : public RobustTest {};

TEST_F(FifoAtName, ReadOnlyFifoNeverBlocks) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as two users";
  const auto name = unique_name();
  ASSERT_EQ(::mkfifo(shm_path(name).c_str(), 0444), 0);
  ASSERT_EQ(::chmod(shm_path(name).c_str(), 0444), 0);
  // In a child running as another user (root would be allowed to write);
  // SIGALRM ends it if any call blocks.
  const int rc = run_in_child([&] {
    ::alarm(20);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) return 90;
    if (!robust_semaphore::exists(name)) return 1;  // something is at the name
    try {
      robust_semaphore s(name, existence_policy::raise_if_exists);
      return 2;
    } catch (const std::system_error& e) {
      if (e.code() != std::errc::file_exists) return 3;
    }
    try {
      robust_semaphore s(name, existence_policy::link_or_create);
      return 4;
    } catch (const std::system_error&) {
    }
    try {
      robust_semaphore s(name, existence_policy::raise_if_not_exists);
      return 5;
    } catch (const std::system_error&) {
    }
    return 0;
  });
  EXPECT_EQ(rc, 0) << "101: the child was killed by SIGALRM (a call blocked on the FIFO)";
  EXPECT_TRUE(file_present(name));
}

}  // namespace
}  // namespace robust_test
