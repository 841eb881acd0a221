// Capacity: 1..max_capacity() (65536), all free at creation; exactly that
// many units can be taken.
#include "support.hpp"

namespace robust_test {
namespace {

class Capacity : public RobustTest {};

TEST_F(Capacity, OutOfRangeIsInvalid) {
  EXPECT_THROW(robust_semaphore(unique_name(), existence_policy::raise_if_exists, 0),
               std::invalid_argument);
  EXPECT_THROW(robust_semaphore(unique_name(), existence_policy::raise_if_exists,
                                robust_semaphore::max_capacity() + 1),
               std::invalid_argument);
  EXPECT_GE(robust_semaphore::max_capacity(), 1024u);
}

TEST_F(Capacity, ExactlyCapacityUnitsCanBeTaken) {
  for (unsigned cap : {1u, 2u, 1024u}) {
    robust_semaphore s(unique_name(std::to_string(cap)), existence_policy::raise_if_exists, cap);
    EXPECT_EQ(s.capacity(), cap);
    EXPECT_EQ(s.value(), static_cast<int>(cap));
    for (unsigned i = 0; i < cap; ++i) ASSERT_TRUE(s.try_acquire()) << i;
    EXPECT_FALSE(s.try_acquire());
    EXPECT_EQ(s.value(), 0);
    EXPECT_EQ(s.held(), cap);
    s.release(static_cast<std::ptrdiff_t>(cap));
    EXPECT_EQ(s.value(), static_cast<int>(cap));
  }
}

TEST_F(Capacity, LargestCapacity) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists,
                     robust_semaphore::max_capacity());
  EXPECT_EQ(s.value(), static_cast<int>(robust_semaphore::max_capacity()));
  ASSERT_TRUE(s.try_acquire());
  EXPECT_EQ(s.value(), static_cast<int>(robust_semaphore::max_capacity()) - 1);
}

}  // namespace
}  // namespace robust_test
