// N processes x M operations on one semaphore: no lost or extra units.
#include "../common/stress_util.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;

struct ledger {
  std::atomic<long> acquired{0};
  std::atomic<long> released{0};
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  long counter = 0;  // guarded by the semaphore alone (initial value 1)
  stress::gate start;
};

TEST(ProcessCounts, MutualExclusionAcrossProcessesLosesNoIncrement) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  const int procs = 6;
  const long ops = 50000 * stress::scale();
  stress::shared<ledger> book;
  named_semaphore sem(name, existence_policy::raise_if_exists, 1);

  std::vector<pid_t> kids;
  for (int p = 0; p < procs; ++p) {
    kids.push_back(stress::spawn([&] {
      named_semaphore s(name);  // opened by name in the child, not inherited
      book->start.wait();
      for (long i = 0; i < ops; ++i) {
        s.acquire();
        const int in = book->inside.fetch_add(1) + 1;
        int seen = book->max_inside.load();
        while (in > seen && !book->max_inside.compare_exchange_weak(seen, in)) {
        }
        book->counter = book->counter + 1;  // a plain read-modify-write
        book->inside.fetch_sub(1);
        s.release();
      }
      return 0;
    }));
  }
  book->start.open(static_cast<int>(kids.size()));
  for (pid_t k : kids) EXPECT_EQ(stress::wait_exit(k), 0);
  EXPECT_EQ(book->counter, procs * ops);
  EXPECT_EQ(book->max_inside.load(), 1);
  EXPECT_EQ(sem.value(), 1);
}

TEST(ProcessCounts, RandomTryAcquireAndReleaseBalanceExactly) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  const int procs = 6;
  const long ops = 20000 * stress::scale();
  const unsigned initial = 3;
  stress::shared<ledger> book;
  named_semaphore sem(name, existence_policy::raise_if_exists, initial);

  std::vector<pid_t> kids;
  for (int p = 0; p < procs; ++p) {
    kids.push_back(stress::spawn([&, p] {
      named_semaphore s(name, existence_policy::link_or_create);
      if (!s.linked_existing()) return 3;
      book->start.wait();
      unsigned seed = 12345u + static_cast<unsigned>(p);
      long got = 0, gave = 0;
      for (long i = 0; i < ops; ++i) {
        switch (rand_r(&seed) % 4) {
          case 0:
            got += s.try_acquire();
            break;
          case 1:
            got += s.try_acquire_for(std::chrono::microseconds(50));
            break;
          case 2:
            s.release();
            ++gave;
            break;
          default:
            if (s.try_acquire()) {
              s.release();
            }
        }
      }
      book->acquired += got;
      book->released += gave;
      return 0;
    }));
  }
  book->start.open(static_cast<int>(kids.size()));
  for (pid_t k : kids) EXPECT_EQ(stress::wait_exit(k), 0);
  EXPECT_GT(book->acquired.load(), 0);
  EXPECT_EQ(sem.value(), static_cast<long>(initial) + book->released.load() - book->acquired.load());
  std::printf("[figures] random ledger: %d procs x %ld ops: %ld acquired, %ld released, value %d\n",
              procs, ops, book->acquired.load(), book->released.load(), sem.value());
}

TEST(ProcessCounts, ProducersAndBlockedConsumersHandOverEveryUnit) {
  const std::string name = stress::unique_name();
  stress::shm_guard guard(name);
  const int pairs = 3;
  const long units = 50000 * stress::scale();
  stress::shared<ledger> book;
  named_semaphore sem(name, existence_policy::raise_if_exists, 0);

  std::vector<pid_t> kids;
  for (int p = 0; p < pairs; ++p) {
    kids.push_back(stress::spawn([&] {
      named_semaphore s(name);
      book->start.wait();
      for (long i = 0; i < units; ++i) {
        s.release();
        book->released += 1;
      }
      return 0;
    }));
    kids.push_back(stress::spawn([&] {
      named_semaphore s(name);
      book->start.wait();
      for (long i = 0; i < units; ++i) {
        if (i % 2)
          s.acquire();
        else if (!s.try_acquire_for(std::chrono::seconds(30)))
          return 4;
        book->acquired += 1;
      }
      return 0;
    }));
  }
  book->start.open(static_cast<int>(kids.size()));
  for (pid_t k : kids) EXPECT_EQ(stress::wait_exit(k), 0);
  EXPECT_EQ(book->released.load(), pairs * units);
  EXPECT_EQ(book->acquired.load(), pairs * units);
  EXPECT_EQ(sem.value(), 0);
  EXPECT_FALSE(sem.try_acquire());
}

}  // namespace
