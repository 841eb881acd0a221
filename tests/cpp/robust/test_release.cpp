// release(n): gives back units this process holds; more than held() is
// refused with operation_not_permitted and gives back nothing; n < 0 is
// invalid; n == 0 does nothing; the error_code form says the same.
#include "support.hpp"

namespace robust_test {
namespace {

class Release : public RobustTest {};

TEST_F(Release, MoreThanHeldIsRefusedAndGivesBackNothing) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 5);
  s.acquire();
  s.acquire();
  try {
    s.release(3);
    FAIL() << "released more than held";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
    EXPECT_NE(std::string(e.what()).find(s.name()), std::string::npos);
  }
  EXPECT_EQ(s.held(), 2u);
  EXPECT_EQ(s.value(), 3);
  s.release(2);
  EXPECT_EQ(s.held(), 0u);
  EXPECT_EQ(s.value(), 5);
  EXPECT_THROW(s.release(), std::system_error) << "holds nothing";
  EXPECT_EQ(s.value(), 5);
}

TEST_F(Release, AnotherProcesssUnitsCannotBeReleased) {
  const auto name = unique_name();
  robust_semaphore s(name, existence_policy::raise_if_exists, 2);
  s.acquire();
  EXPECT_EQ(run_in_child([&] {
              std::error_code ec;
              s.release(1, ec);  // the parent's unit, not the child's
              return ec == std::errc::operation_not_permitted ? 0 : 1;
            }),
            0);
  EXPECT_EQ(s.value(), 1);
  EXPECT_EQ(s.held(), 1u);
}

TEST_F(Release, NegativeIsInvalidZeroDoesNothing) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 2);
  s.acquire();
  EXPECT_THROW(s.release(-1), std::invalid_argument);
  s.release(0);
  EXPECT_EQ(s.held(), 1u);
  std::error_code ec;
  s.release(-1, ec);
  EXPECT_EQ(ec, std::errc::invalid_argument);
  s.release(5, ec);
  EXPECT_EQ(ec, std::errc::operation_not_permitted);
  EXPECT_EQ(s.held(), 1u);
  s.release(1, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(s.value(), 2);
}

TEST_F(Release, UnlockIgnoresARefusal) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists, 1);
  s.unlock();  // holds nothing: ignored, no throw
  EXPECT_EQ(s.value(), 1);
  s.lock();
  s.unlock();
  EXPECT_EQ(s.value(), 1);
  EXPECT_EQ(s.held(), 0u);
}

}  // namespace
}  // namespace robust_test
