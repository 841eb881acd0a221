// Many threads sharing one handle: exact counts, no data race in nob.
#include "../common/stress_util.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;

TEST(ThreadsOneHandle, MutualExclusionWithEveryAcquireFlavour) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  named_semaphore sem(name, existence_policy::raise_if_exists, 1);
  const int threads = 8;
  const long ops = 5000 * stress::scale();
  long counter = 0;  // guarded only by the semaphore
  std::atomic<int> inside{0};
  std::atomic<bool> overlap{false};
  std::atomic<long> timeouts{0};

  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (long i = 0; i < ops; ++i) {
        switch ((i + t) % 4) {
          case 0:
            sem.acquire();
            break;
          case 1:
            while (!sem.try_acquire()) std::this_thread::yield();
            break;
          case 2:
            while (!sem.try_acquire_for(std::chrono::milliseconds(1))) ++timeouts;
            break;
          default:
            while (!sem.try_acquire_until(std::chrono::system_clock::now() +
                                          std::chrono::milliseconds(1)))
              ++timeouts;
        }
        if (inside.fetch_add(1) != 0) overlap = true;
        ++counter;
        inside.fetch_sub(1);
        if (i % 2)
          sem.release();
        else
          sem.unlock();
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(counter, threads * ops);
  EXPECT_FALSE(overlap.load());
  EXPECT_EQ(sem.value(), 1);
}

TEST(ThreadsOneHandle, BatchReleasesAndTakesBalance) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  named_semaphore sem(name, existence_policy::raise_if_exists, 0);
  const int threads = 6;
  const long rounds = 2000 * stress::scale();
  std::atomic<long> taken{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (long i = 0; i < rounds; ++i) {
        if (t % 2 == 0) {
          sem.release(3);  // producers: 3 units at once
        } else {
          for (int k = 0; k < 3; ++k) {
            sem.acquire();
            ++taken;
          }
        }
        (void)sem.value();
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(taken.load(), 3 * rounds * (threads / 2));
  EXPECT_EQ(sem.value(), 0);
}

}  // namespace
