// A slot holding a token whose generation is ahead of its user entry (no
// process ever had it: a corrupt or hostile file) is a free unit, not a live
// holder forever: value(), holders() and acquire all see it free.
#include "support.hpp"

#include <cstdint>

namespace robust_test {
namespace {

class ForgedFutureToken : public RobustTest {};

TEST_F(ForgedFutureToken, CountsAsFreeAndIsReclaimed) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 2);
  // entry 9 is free (generation 0); forge its token at generation 1001 in slot 0
  const std::uint64_t token = (std::uint64_t(9) + 1) << 48 | 1001;
  const int fd = ::open(shm_path(name).c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::uint32_t users = 0;
  ASSERT_EQ(::pread(fd, &users, 4, 16), 4);
  const off_t slot0 = 64 + off_t(users) * 16;
  ASSERT_EQ(::pwrite(fd, &token, 8, slot0), 8);
  ::close(fd);

  EXPECT_EQ(s.value(), 2) << "a token nobody was ever given counted as held";
  EXPECT_TRUE(s.holders().empty());
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire()) << "the forged unit was never reclaimed";
  EXPECT_EQ(s.held(), 2u);
  s.release(2);
}

}  // namespace
}  // namespace robust_test
