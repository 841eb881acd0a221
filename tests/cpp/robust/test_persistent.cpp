// persistent: the name outlives its last user until unlink()/remove(); the
// flag lives in the shared file, so every handle in every process sees it.
#include "support.hpp"

namespace robust_test {
namespace {

class Persistent : public RobustTest {};

TEST_F(Persistent, OutlivesTheLastCloseUntilRemoved) {
  const auto name = unique_name();
  {
    robust_semaphore s(name, existence_policy::raise_if_exists, 3);
    EXPECT_FALSE(s.persistent());
    s.persistent(true);
    EXPECT_TRUE(s.persistent());
    s.acquire();
  }
  EXPECT_TRUE(robust_semaphore::exists(name));
  {
    robust_semaphore s(name);
    EXPECT_TRUE(s.linked_existing());
    EXPECT_TRUE(s.persistent());
    EXPECT_EQ(s.value(), 3) << "the closing process gave its unit back";
  }
  EXPECT_TRUE(robust_semaphore::remove(name));
  EXPECT_FALSE(robust_semaphore::exists(name));
  EXPECT_FALSE(robust_semaphore::remove(name));
}

TEST_F(Persistent, SurvivesItsUsersDeathAndFreesTheirUnits) {
  const auto name = unique_name();
  {
    robust_semaphore s(name, existence_policy::raise_if_exists, 2);
    s.persistent(true);
  }
  int out = -1;
  const pid_t child = start_holder(name, out, 2);
  kill_child(child);
  ::close(out);
  EXPECT_TRUE(robust_semaphore::exists(name));
  robust_semaphore s(name);
  EXPECT_EQ(s.value(), 2);
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire());
  s.persistent(false);
  s.close();
  EXPECT_FALSE(file_present(name)) << "not persistent any more: the last close removes it";
}

TEST_F(Persistent, SeenByOtherProcesses) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists);
  EXPECT_EQ(run_in_child([&] {
              robust_semaphore t(name);
              t.persistent(true);
              return 0;
            }),
            0);
  EXPECT_TRUE(s.persistent());
}

}  // namespace
}  // namespace robust_test
