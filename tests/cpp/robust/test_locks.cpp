// Lockable and TimedLockable: std::unique_lock and std::scoped_lock work.
#include "support.hpp"

#include <mutex>

namespace robust_test {
namespace {

class Locks : public RobustTest {};

TEST_F(Locks, StandardLockGuards) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 1);
  {
    std::scoped_lock hold(s);
    EXPECT_EQ(s.held(), 1u);
    EXPECT_FALSE(s.try_lock());
  }
  EXPECT_EQ(s.value(), 1);
  {
    std::unique_lock<robust_semaphore> hold(s, std::defer_lock);
    EXPECT_TRUE(hold.try_lock_for(10ms));
    std::unique_lock<robust_semaphore> other(s, std::defer_lock);
    EXPECT_FALSE(other.try_lock_until(std::chrono::steady_clock::now() + 20ms));
  }
  EXPECT_EQ(s.value(), 1);
  EXPECT_EQ(s.held(), 0u);
}

}  // namespace
}  // namespace robust_test
