// named_semaphore is TimedLockable: std::unique_lock (all its constructors
// and try_lock_* calls), std::scoped_lock and std::lock work with it.
#include "../common/support.hpp"

#include <mutex>

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;
using nob_test::late_bound;
using nob_test::SemTest;
using nob_test::time_of;

class Locks : public SemTest {
 protected:
  named_semaphore make(unsigned value, const std::string& tag = "s") {
    return named_semaphore(unique_name(tag), existence_policy::raise_if_exists, value);
  }
};

TEST_F(Locks, UniqueLockAcquiresAndReleases) {
  named_semaphore s = make(1);
  {
    std::unique_lock<named_semaphore> lock(s);
    EXPECT_TRUE(lock.owns_lock());
    EXPECT_EQ(s.value(), 0);
  }
  EXPECT_EQ(s.value(), 1);
}

TEST_F(Locks, UniqueLockTryToLock) {
  named_semaphore s = make(0);
  {
    std::unique_lock<named_semaphore> lock(s, std::try_to_lock);
    EXPECT_FALSE(lock.owns_lock());
  }
  EXPECT_EQ(s.value(), 0) << "a lock that was not taken must not be released";
  s.release();
  std::unique_lock<named_semaphore> lock(s, std::try_to_lock);
  EXPECT_TRUE(lock.owns_lock());
  EXPECT_EQ(s.value(), 0);
}

TEST_F(Locks, UniqueLockForDurationTimesOutThenSucceeds) {
  named_semaphore s = make(0);
  const auto took = time_of([&] {
    std::unique_lock<named_semaphore> lock(s, 100ms);  // try_lock_for
    EXPECT_FALSE(lock.owns_lock());
  });
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 100ms + late_bound);
  std::thread poster([&] {
    std::this_thread::sleep_for(80ms);
    s.release();
  });
  {
    std::unique_lock<named_semaphore> lock(s, 20s);
    EXPECT_TRUE(lock.owns_lock());
    EXPECT_EQ(s.value(), 0);
  }
  poster.join();
  EXPECT_EQ(s.value(), 1);
}

TEST_F(Locks, UniqueLockUntilTimePointTimesOutThenSucceeds) {
  named_semaphore s = make(0);
  const auto deadline = std::chrono::steady_clock::now() + 100ms;
  {
    std::unique_lock<named_semaphore> lock(s, deadline);  // try_lock_until
    EXPECT_FALSE(lock.owns_lock());
  }
  EXPECT_GE(std::chrono::steady_clock::now(), deadline);
  const auto wall = std::chrono::system_clock::now() + 80ms;
  {
    std::unique_lock<named_semaphore> lock(s, wall);
    EXPECT_FALSE(lock.owns_lock());
  }
  EXPECT_GE(std::chrono::system_clock::now(), wall);
  s.release();
  {
    std::unique_lock<named_semaphore> lock(s, std::chrono::steady_clock::now() + 1s);
    EXPECT_TRUE(lock.owns_lock());
  }
  EXPECT_EQ(s.value(), 1);
}

TEST_F(Locks, UniqueLockDeferAndAdopt) {
  named_semaphore s = make(1);
  std::unique_lock<named_semaphore> lock(s, std::defer_lock);
  EXPECT_EQ(s.value(), 1);
  EXPECT_TRUE(lock.try_lock_for(10ms));
  EXPECT_EQ(s.value(), 0);
  lock.unlock();
  EXPECT_EQ(s.value(), 1);
  EXPECT_TRUE(lock.try_lock_until(std::chrono::steady_clock::now() + 10ms));
  lock.unlock();
  lock.lock();
  EXPECT_EQ(s.value(), 0);
  lock.release();  // the unit stays taken
  EXPECT_EQ(s.value(), 0);
  {
    std::unique_lock<named_semaphore> adopted(s, std::adopt_lock);
  }
  EXPECT_EQ(s.value(), 1);
}

TEST_F(Locks, ScopedLockTakesAndReleasesBoth) {
  named_semaphore a = make(1, "a");
  named_semaphore b = make(1, "b");
  {
    std::scoped_lock lock(a, b);
    EXPECT_EQ(a.value(), 0);
    EXPECT_EQ(b.value(), 0);
  }
  EXPECT_EQ(a.value(), 1);
  EXPECT_EQ(b.value(), 1);
}

TEST_F(Locks, ScopedLockWaitsForTheBusyOneWithoutHoldingTheOther) {
  named_semaphore a = make(1, "a");
  named_semaphore b = make(0, "b");  // "held" by someone else
  std::atomic<bool> a_was_free_while_waiting{false};
  std::thread other([&] {
    std::this_thread::sleep_for(100ms);
    // std::lock's algorithm backs off: at some point a is free again.
    for (int i = 0; i < 100 && !a_was_free_while_waiting; ++i) {
      if (a.try_acquire()) {
        a_was_free_while_waiting = true;
        a.release();
      }
      std::this_thread::sleep_for(1ms);
    }
    b.release();
  });
  {
    std::scoped_lock lock(a, b);
    EXPECT_EQ(a.value(), 0);
    EXPECT_EQ(b.value(), 0);
  }
  other.join();
  EXPECT_TRUE(a_was_free_while_waiting) << "std::lock kept a while blocked on b";
  EXPECT_EQ(a.value(), 1);
  EXPECT_EQ(b.value(), 1);
}

TEST_F(Locks, ScopedLockAcrossProcesses) {
  named_semaphore a = make(1, "a");
  named_semaphore b = make(1, "b");
  named_semaphore inside(unique_name("inside"), existence_policy::raise_if_exists, 0);
  constexpr int rounds = 50;
  const pid_t child = nob_test::start_child([&] {
    for (int i = 0; i < rounds; ++i) {
      std::scoped_lock lock(b, a);  // the other order: still no deadlock
      if (a.value() != 0 || b.value() != 0) return 1;
      inside.release();
    }
    return 0;
  });
  for (int i = 0; i < rounds; ++i) {
    std::scoped_lock lock(a, b);
    EXPECT_EQ(a.value(), 0);
    EXPECT_EQ(b.value(), 0);
  }
  EXPECT_EQ(nob_test::wait_child(child), 0);
  EXPECT_EQ(inside.value(), rounds);
  EXPECT_EQ(a.value(), 1);
  EXPECT_EQ(b.value(), 1);
}

TEST_F(Locks, LockGuardWithACountingSemaphore) {
  named_semaphore s = make(2);
  {
    std::lock_guard<named_semaphore> one(s);
    std::lock_guard<named_semaphore> two(s);
    EXPECT_EQ(s.value(), 0);
    EXPECT_FALSE(s.try_lock());
  }
  EXPECT_EQ(s.value(), 2);
}

}  // namespace
