// raise_if_exists on a stale file (its only user was killed) while another
// process is stopped holding that file's file-wide lock (here: stopped in
// its own open of the stale file): the creator sleeps until the lock is
// free, then removes the stale file and creates; it does not spin on the CPU.
#include "support.hpp"

#include <time.h>

#include <pthread.h>

#include <future>
#include <thread>

namespace robust_test {
namespace {

class StaleCreateWaits : public RobustTest {};

// The CPU time of one thread so far, in seconds (that thread's own clock:
// a sanitizer runtime's threads in the same process do not count).
double thread_cpu_seconds(std::thread& t) {
  clockid_t clock{};
  if (::pthread_getcpuclockid(t.native_handle(), &clock) != 0) return -1.0;
  timespec ts{};
  ::clock_gettime(clock, &ts);
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

  std::promise<bool> promise;
  auto made = promise.get_future();
  std::thread creator([&] {
    try {
      robust_semaphore s(name, existence_policy::raise_if_exists, 1);
      promise.set_value(!s.linked_existing() && s.try_acquire());
    } catch (...) {
      promise.set_exception(std::current_exception());  // made.get() rethrows it
    }
  });
  std::this_thread::sleep_for(1s);
  const double spent = thread_cpu_seconds(creator);
  EXPECT_GE(spent, 0.0);
  EXPECT_LT(spent, 0.3) << "the creator spun on the CPU while the lock was held";
  EXPECT_EQ(made.wait_for(0s), std::future_status::timeout);
  kill_child(opener);
  if (made.wait_for(20s) != std::future_status::ready) {
    ADD_FAILURE() << "the creator did not create within 20 s of the lock's release";
    std::abort();  // it can neither be joined nor left running on this stack
  }
  creator.join();
  EXPECT_TRUE(made.get());
}

}  // namespace
}  // namespace robust_test
