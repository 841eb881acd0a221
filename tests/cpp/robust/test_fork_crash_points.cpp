// SIGKILL inside fork(): the parent stopped in the prepare handler (child's
// entry registered through the parent's descriptor), or the child stopped
// in its handler (remapped onto its own entry). Nothing is lost or doubled,
// the registration made for the child never keeps the name alive, and a
// child alone keeps it alive while it lives.
#include "support.hpp"

#include <cstdio>
#include <fstream>

namespace robust_test {
namespace {

class ForkCrashPoints : public RobustTest {};

/// The state letter of /proc/PID/stat ('T' stopped), or 0.
char proc_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  std::getline(in, all);
  const auto close = all.rfind(')');
  return close == std::string::npos || close + 2 >= all.size() ? 0 : all[close + 2];
}

TEST_F(ForkCrashPoints, ParentKilledInPrepareHandler) {
  const auto name = unique_name();
  auto mine = std::make_unique<robust_semaphore>(name, existence_policy::raise_if_exists, 3);
  mine->acquire();
  const pid_t pid = spawn({helper_path(), "crash", "fork", name, "3"}, "fork.prepared");
  int status = 0;
  ASSERT_TRUE(wait_stopped(pid, status)) << "fork.prepared not reached (" << status << ")";
  EXPECT_EQ(mine->value(), 1) << "the stopped parent holds one unit";
  kill_child(pid);
  EXPECT_EQ(mine->value(), 2);
  ASSERT_EQ(mine->holders().size(), 1u);
  EXPECT_EQ(mine->holders()[0].pid, ::getpid());
  EXPECT_TRUE(mine->try_acquire());
  EXPECT_TRUE(mine->try_acquire());
  EXPECT_FALSE(mine->try_acquire());
  mine->release(2);
  mine.reset();
  EXPECT_FALSE(file_present(name)) << "the entry made for the unborn child kept the name";
}

TEST_F(ForkCrashPoints, ChildKilledInItsHandlerAndParentBeforeIt) {
  const auto name = unique_name();
  auto mine = std::make_unique<robust_semaphore>(name, existence_policy::raise_if_exists, 3);
  int out = -1;
  const pid_t parent = spawn({helper_path(), "crash", "fork", name, "3"}, "fork.child", &out);
  const std::string line = read_line(out);
  ::close(out);
  ASSERT_EQ(line.rfind("child ", 0), 0u) << line;
  const pid_t child = static_cast<pid_t>(std::stoi(line.substr(6)));
  for (int i = 0; i < 2000 && proc_state(child) != 'T'; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(proc_state(child), 'T') << "fork.child not reached";
  EXPECT_EQ(mine->value(), 2);
  kill_child(parent);  // the stopped child lives on: it is a user, holding nothing
  EXPECT_EQ(mine->value(), 3) << "the parent's unit was kept by its child";
  EXPECT_TRUE(mine->holders().empty());
  mine.reset();
  EXPECT_TRUE(file_present(name)) << "the live child's handle must keep the name";
  ::kill(child, SIGKILL);  // reparented: not ours to reap
  // The lock goes with the last reference to the child's open file
  // description; its mapping can be held a moment past its death by any
  // process reading its /proc files (seen once in ~10 loaded runs), so allow
  // a moment.
  for (int i = 0; i < 1000 && robust_semaphore::exists(name); ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_FALSE(robust_semaphore::exists(name));
  EXPECT_FALSE(file_present(name)) << "a stale name was left";
}

}  // namespace
}  // namespace robust_test
