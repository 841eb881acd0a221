// Holders in another PID namespace (sharing /dev/shm) are covered: a
// holder started by `unshare --pid --fork --mount-proc` is pid 1 in its own
// namespace (holders() shows that pid); when it is killed, a waiter outside
// gets its unit. Needs root and unshare(1).
#include "support.hpp"

namespace robust_test {
namespace {

class PidNamespace : public RobustTest {};

TEST_F(PidNamespace, OutsideWaiterGetsTheUnitOfAKilledHolderInside) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for unshare --pid";
  if (::access("/usr/bin/unshare", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/unshare";
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 1);
  int out = -1;
  const pid_t outer = spawn({"/usr/bin/unshare", "--pid", "--fork", "--mount-proc",
                             "--kill-child", helper_path(), "hold", name},
                            "", &out);
  const std::string line = read_line(out);
  if (line.empty()) {
    const int st = wait_child(outer);
    GTEST_SKIP() << "unshare --pid could not run here (exit " << st << ")";
  }
  EXPECT_EQ(line, "held 1") << "the holder is pid 1 in its namespace";
  const auto hs = s.holders();
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].pid, 1) << "holders() shows the pid in the holder's own namespace";
  EXPECT_FALSE(s.try_acquire());
  std::thread killer([&] {
    std::this_thread::sleep_for(50ms);
    ::kill(outer, SIGKILL);  // --kill-child: the holder inside dies too
  });
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(s.try_acquire_for(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  killer.join();
  wait_child(outer);
  ::close(out);
}

}  // namespace
}  // namespace robust_test
