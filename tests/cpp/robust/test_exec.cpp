// exec frees the units: the descriptor that holds the process's lock is
// close-on-exec, so a process that execs (even into a program that lives
// on) holds nothing.
#include "support.hpp"

namespace robust_test {
namespace {

class Exec : public RobustTest {};

TEST_F(Exec, ExecIntoALongLivedProgramFreesTheUnits) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 1);
  int out = -1;
  const pid_t child = spawn({helper_path(), "exec", name}, "", &out);
  ASSERT_EQ(read_line(out), "held");
  EXPECT_TRUE(s.try_acquire_for(5s)) << "the exec'd process kept its unit";
  int status = 0;
  EXPECT_EQ(::waitpid(child, &status, WNOHANG), 0) << "sleep 30 still runs";
  EXPECT_TRUE(s.holders().size() == 1u && s.holders()[0].pid == ::getpid());
  kill_child(child);
  ::close(out);
}

TEST_F(Exec, ForkedChildThatExecsFreesItsUnits) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 2);
  const pid_t child = start_child([&] {
    s.acquire();
    s.acquire();
    ::execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    return 3;
  });
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (s.value() == 2 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(1ms);  // until the child took both
  EXPECT_TRUE(s.try_acquire_for(5s));
  EXPECT_TRUE(s.try_acquire_for(5s));
  kill_child(child);
}

}  // namespace
}  // namespace robust_test
