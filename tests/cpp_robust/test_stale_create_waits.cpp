// raise_if_exists on a stale file (its only user was killed) while another
// process is stopped holding that file's file-wide lock (here: stopped in
// its own open of the stale file): the creator sleeps until the lock is
// free, then removes the stale file and creates; it does not spin on the CPU.
#include "support.hpp"

#include <time.h>

#include <future>

namespace robust_test {
namespace {

class StaleCreateWaits : public RobustTest {};

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

TEST_F(StaleCreateWaits, SleepsWhileTheLockIsHeldThenCreates) {
  const auto name = unique_name();
  ready_pipe ready;
  const pid_t user = start_child([&] {
    robust_semaphore s(name, existence_policy::raise_if_exists, 1);
    if (!ready.signal()) return 1;
    ::pause();
    return 0;
  });
  ASSERT_TRUE(ready.wait());
  kill_child(user);  // the file is stale now
  ASSERT_TRUE(file_present(name));

  const pid_t opener = spawn({helper_path(), "crash", "open", name, "1"}, "open.locked");
  int status = 0;
  ASSERT_TRUE(wait_stopped(opener, status)) << "the opener did not stop holding the lock";

  const double cpu0 = process_cpu_seconds();
  auto made = std::async(std::launch::async, [&] {
    robust_semaphore s(name, existence_policy::raise_if_exists, 1);
    return !s.linked_existing() && s.try_acquire();
  });
  std::this_thread::sleep_for(1s);
  const double spent = process_cpu_seconds() - cpu0;
  EXPECT_LT(spent, 0.3) << "the creator spun on the CPU while the lock was held";
  EXPECT_EQ(made.wait_for(0s), std::future_status::timeout);
  kill_child(opener);
  ASSERT_EQ(made.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(made.get());
}

}  // namespace
}  // namespace robust_test
