// Random-kill soak: worker processes loop acquire/release while one of them
// is SIGKILLed every few ms (and replaced) for a few seconds (times
// NOB_STRESS_SCALE). At the end every unit is free, nobody holds any, and
// nothing is left in /dev/shm. Prints kills and operations.
#include "support.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cstdio>
#include <random>

namespace robust_test {
namespace {

class Soak : public RobustTest {};

TEST_F(Soak, RandomKillsLoseNothing) {
  constexpr unsigned cap = 3;
  constexpr int workers = 4;
  const auto name = unique_name();
  auto* ops = static_cast<std::atomic<long>*>(::mmap(nullptr, sizeof(std::atomic<long>),
                                                     PROT_READ | PROT_WRITE,
                                                     MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(ops, MAP_FAILED);
  new (ops) std::atomic<long>(0);
  auto sem = std::make_unique<robust_semaphore>(name, existence_policy::raise_if_exists, cap);
  auto worker = [&] {
    return start_child([&] {
      for (;;) {  // forked: the inherited handle is this process's own
        if (!sem->try_acquire_for(5s)) return 3;
        ops->fetch_add(1, std::memory_order_relaxed);
        sem->release();
      }
      return 0;
    });
  };
  std::vector<pid_t> pids;
  for (int i = 0; i < workers; ++i) pids.push_back(worker());
  std::mt19937 rng(12345);
  long kills = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3 * scale());
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::microseconds(2000 + rng() % 6000));
    const std::size_t k = rng() % pids.size();
    ::kill(pids[k], SIGKILL);
    int status = 0;
    ::waitpid(pids[k], &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "a worker gave up waiting (exit " << WEXITSTATUS(status)
                                     << "): units were lost";
    ++kills;
    pids[k] = worker();
  }
  for (pid_t p : pids) kill_child(p);
  kills += workers;
  const long total = ops->load();
  std::printf("[ soak     ] %ld kills, %ld acquire/release pairs, capacity %u, %d workers, %lld s\n",
              kills, total, cap, workers, static_cast<long long>(3 * scale()));
  EXPECT_GT(total, kills) << "the workers made progress";
  EXPECT_EQ(sem->value(), static_cast<int>(cap));
  EXPECT_TRUE(sem->holders().empty());
  for (unsigned i = 0; i < cap; ++i) EXPECT_TRUE(sem->try_acquire());
  EXPECT_FALSE(sem->try_acquire());
  sem.reset();
  EXPECT_FALSE(robust_semaphore::exists(name));
  EXPECT_FALSE(file_present(name));
  if (private_shm()) {  // else another run's temporary files may be there (needs root)
    EXPECT_TRUE(shm_files("nob.nob-").empty());
    EXPECT_TRUE(shm_files("nob~nob-").empty());
  }
  ::munmap(ops, sizeof(std::atomic<long>));
}

}  // namespace
}  // namespace robust_test
