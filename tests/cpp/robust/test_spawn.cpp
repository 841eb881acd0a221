// posix_spawn and vfork + exec (how Python's subprocess starts programs) do
// not run the fork handlers: the spawned program must still not keep the
// spawner's lock, units or name alive once it has exec'd.
#include "support.hpp"

#include <spawn.h>

namespace robust_test {
namespace {

class Spawn : public RobustTest {};

/// A holder of the only unit that starts `sleep 60` (posix_spawn, or vfork
/// + exec) and reports the sleeper's pid; the test SIGKILLs the holder.
void holder_spawns_sleeper_then_dies(const std::string& name, bool use_vfork) {
  robust_semaphore s(name, existence_policy::raise_if_exists, 1);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  const pid_t holder = start_child([&] {
    robust_semaphore mine(name);
    if (!mine.try_acquire()) return 1;
    char arg0[] = "/bin/sleep", arg1[] = "60";
    char* argv[] = {arg0, arg1, nullptr};
    pid_t sleeper = -1;
    if (use_vfork) {
      sleeper = ::vfork();
      if (sleeper == 0) {
        ::execve(argv[0], argv, environ);
        ::_exit(127);
      }
    } else if (::posix_spawn(&sleeper, argv[0], nullptr, nullptr, argv, environ) != 0) {
      return 2;
    }
    if (::write(p[1], &sleeper, sizeof sleeper) != sizeof sleeper) return 3;
    ::pause();
    return 0;
  });
  ::close(p[1]);
  pid_t sleeper = -1;
  ASSERT_EQ(::read(p[0], &sleeper, sizeof sleeper), static_cast<ssize_t>(sizeof sleeper));
  ::close(p[0]);
  ASSERT_GT(sleeper, 0);
  std::this_thread::sleep_for(100ms);  // the sleeper has exec'd
  EXPECT_EQ(s.value(), 0);
  kill_child(holder);
  EXPECT_TRUE(s.try_acquire_for(5s)) << "the spawned program kept the dead holder's unit";
  EXPECT_EQ(units_of_holders(s), 1u);
  EXPECT_EQ(s.holders().at(0).pid, ::getpid());
  s.close();
  EXPECT_FALSE(file_present(name)) << "the spawned program kept the name alive";
  ::kill(sleeper, SIGKILL);
  ::waitpid(sleeper, nullptr, 0);
}

TEST_F(Spawn, PosixSpawnedProgramKeepsNothing) {
  holder_spawns_sleeper_then_dies(unique_name(), false);
}

TEST_F(Spawn, VforkExecedProgramKeepsNothing) {
  holder_spawns_sleeper_then_dies(unique_name(), true);
}

}  // namespace
}  // namespace robust_test
