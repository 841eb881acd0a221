// A process killed with SIGKILL while holding or waiting: what survives.
#include "../common/stress_util.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;

struct flags {
  std::atomic<int> holding{0};
  std::atomic<int> waiting{0};
};

TEST(SigkillHolder, UnitIsLostOthersKeepWorkingAndReleaseRepairs) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  named_semaphore sem(name, existence_policy::raise_if_exists, 1);
  stress::shared<flags> f;

  const pid_t holder = stress::spawn([&]() -> int {
    named_semaphore s(name);
    s.acquire();
    f->holding = 1;
    for (;;) ::pause();
  });
  while (f->holding.load() == 0) std::this_thread::yield();
  ASSERT_EQ(::kill(holder, SIGKILL), 0);
  EXPECT_EQ(stress::wait_exit(holder), 1000 + SIGKILL);

  // No owner-death recovery: the unit went with the holder, and value shows it.
  EXPECT_EQ(sem.value(), 0);
  EXPECT_FALSE(sem.try_acquire_for(std::chrono::milliseconds(100)));
  // Others keep working on the same semaphore (the name is intact).
  EXPECT_TRUE(named_semaphore::exists(name));
  sem.release();  // the repair: whoever knows the holder died posts the unit back
  const pid_t user = stress::spawn([&] {
    named_semaphore s(name);
    for (int i = 0; i < 1000; ++i) {
      if (!s.try_acquire_for(std::chrono::seconds(5))) return 2;
      s.release();
    }
    return 0;
  });
  EXPECT_EQ(stress::wait_exit(user), 0);
  EXPECT_EQ(sem.value(), 1);
}

TEST(SigkillHolder, KilledWaitersTakeNothing) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  named_semaphore sem(name, existence_policy::raise_if_exists, 0);
  stress::shared<flags> f;
  const int waiters = 4 * static_cast<int>(stress::scale());
  std::vector<pid_t> kids;
  for (int i = 0; i < waiters; ++i) {
    kids.push_back(stress::spawn([&, i] {
      named_semaphore s(name);
      f->waiting += 1;
      if (i % 2)
        s.acquire();
      else
        (void)s.try_acquire_for(std::chrono::hours(1));
      return 7;  // never reached: killed while waiting
    }));
  }
  while (f->waiting.load() < waiters) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let them block
  for (pid_t k : kids) ASSERT_EQ(::kill(k, SIGKILL), 0);
  for (pid_t k : kids) EXPECT_EQ(stress::wait_exit(k), 1000 + SIGKILL);
  sem.release(3);
  EXPECT_EQ(sem.value(), 3);  // dead waiters consumed nothing
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(sem.try_acquire());
  EXPECT_FALSE(sem.try_acquire());
}

TEST(SigkillHolder, RandomKillsDuringTrafficLeaveAnExplainableValue) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  const unsigned initial = 4;
  named_semaphore sem(name, existence_policy::raise_if_exists, initial);
  struct books {
    std::atomic<long> held[16];
    std::atomic<int> started{0};
  };
  stress::shared<books> b;
  const int procs = 6;
  const int kills = 4 * static_cast<int>(stress::scale());
  int killed = 0;
  for (int round = 0; round < kills; ++round) {
    std::vector<pid_t> kids;
    b->started = 0;
    for (int p = 0; p < procs; ++p) {
      b->held[p] = 0;
      kids.push_back(stress::spawn([&, p]() -> int {
        named_semaphore s(name);
        b->started += 1;
        for (;;) {  // acquire, mark held, unmark, release: until killed
          s.acquire();
          b->held[p] = 1;
          b->held[p] = 0;
          s.release();
        }
      }));
    }
    while (b->started.load() < procs) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (pid_t k : kids) ::kill(k, SIGKILL), ++killed;
    for (pid_t k : kids) EXPECT_EQ(stress::wait_exit(k), 1000 + SIGKILL);
    // Units held by killed processes are gone; never more than the initial value.
    EXPECT_LE(sem.value(), static_cast<int>(initial));
    sem.release(static_cast<std::ptrdiff_t>(initial) - sem.value());  // repair
    EXPECT_EQ(sem.value(), static_cast<int>(initial));
  }
  std::printf("[figures] SIGKILLed %d busy processes in %d rounds\n", killed, kills);
}

}  // namespace
