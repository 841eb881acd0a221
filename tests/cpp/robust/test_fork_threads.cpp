// fork() from one thread while other threads of the process acquire and
// release, and fork in a child of a child: every child starts holding
// nothing, its units are its own, the parent's units stay the parent's, and
// when everyone has ended nothing is held and the name is gone.
#include "support.hpp"

#include <atomic>

namespace robust_test {
namespace {

class ForkThreads : public RobustTest {};

TEST_F(ForkThreads, ForkWhileOtherThreadsAcquireAndRelease) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 3);
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (int k = 0; k < 2; ++k)
    workers.emplace_back([&] {
      while (!stop.load()) {
        s.acquire();
        s.release();
      }
    });
  int bad = 0;
  for (int round = 0; round < 40 * scale(); ++round) {
    const int rc = run_in_child([&] {
      if (s.held() != 0) return 1;  // a parent thread's unit is not the child's
      if (!s.try_acquire_for(5s)) return 2;
      if (s.held() != 1) return 3;
      // grandchild: its own unit, outliving the child
      const pid_t g = ::fork();
      if (g == 0) ::_exit(s.held() == 0 && s.try_acquire_for(5s) && s.held() == 1 ? 0 : 4);
      int st = 0;
      ::waitpid(g, &st, 0);
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return 5;
      s.release();
      return 0;
    });
    if (rc != 0) ++bad;
  }
  stop.store(true);
  for (auto& w : workers) w.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(s.held(), 0u);
  EXPECT_EQ(s.value(), 3);
  EXPECT_TRUE(s.holders().empty());
  s.close();
  EXPECT_FALSE(file_present(name));
}

TEST_F(ForkThreads, GrandchildKeepsItsUnitAfterChildAndParentHandlesDie) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 2);
  ready_pipe ready;
  const pid_t child = start_child([&] {
    const pid_t g = ::fork();
    if (g == 0) {
      if (!s.try_acquire() || !ready.signal()) ::_exit(1);
      ::pause();
      ::_exit(0);
    }
    ::pause();
    return 0;
  });
  ASSERT_TRUE(ready.wait());
  kill_child(child);
  // the grandchild lives on and holds its unit
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(s.value(), 1);
  ASSERT_EQ(s.holders().size(), 1u);
  const pid_t grandchild = s.holders()[0].pid;
  EXPECT_NE(grandchild, ::getpid());
  ::kill(grandchild, SIGKILL);  // reparented: not ours to reap
  EXPECT_TRUE(s.try_acquire_for(5s));
  EXPECT_TRUE(s.try_acquire_for(5s)) << "the dead grandchild's unit was not freed";
  s.release(2);
}

}  // namespace
}  // namespace robust_test
