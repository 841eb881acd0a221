// The non-throwing overloads: try_acquire(ec), release(n, ec), and their
// error codes.
#include "../common/support.hpp"

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using nob_test::SemTest;

class ErrorCode : public SemTest {};

TEST_F(ErrorCode, TryAcquireReportsSuccessAndEmptyWithoutError) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 1);
  std::error_code ec = std::make_error_code(std::errc::io_error);
  EXPECT_TRUE(s.try_acquire(ec));
  EXPECT_FALSE(ec);
  ec = std::make_error_code(std::errc::io_error);
  EXPECT_FALSE(s.try_acquire(ec));
  EXPECT_FALSE(ec) << "an empty semaphore is not an error";
  EXPECT_EQ(s.value(), 0);
}

TEST_F(ErrorCode, TryAcquireOnClosedHandleIsBadFileDescriptor) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 1);
  s.close();
  std::error_code ec;
  EXPECT_FALSE(s.try_acquire(ec));
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
}

TEST_F(ErrorCode, ReleasePostsAndClears) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  std::error_code ec = std::make_error_code(std::errc::io_error);
  s.release(3, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(s.value(), 3);
  s.release(0, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(s.value(), 3);
}

TEST_F(ErrorCode, ReleasePastMaxIsValueTooLargeAndPostsNothing) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists,
                    static_cast<unsigned>(named_semaphore::max() - 1));
  std::error_code ec;
  s.release(2, ec);
  EXPECT_EQ(ec, std::errc::value_too_large);
  EXPECT_EQ(ec.category(), std::generic_category());
  EXPECT_EQ(s.value(), named_semaphore::max() - 1);
  s.release(1, ec);
  EXPECT_FALSE(ec);
  s.release(1, ec);
  EXPECT_EQ(ec, std::errc::value_too_large);
  EXPECT_EQ(s.value(), named_semaphore::max());
}

TEST_F(ErrorCode, ReleaseOfNegativeCountIsInvalidArgument) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  std::error_code ec;
  s.release(-2, ec);
  EXPECT_EQ(ec, std::errc::invalid_argument);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(ErrorCode, ReleaseOnClosedHandleIsBadFileDescriptor) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  s.close();
  std::error_code ec;
  s.release(1, ec);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
}

TEST_F(ErrorCode, OverloadsAreNoexcept) {
  std::error_code ec;
  static_assert(noexcept(std::declval<named_semaphore&>().try_acquire(ec)));
  static_assert(noexcept(std::declval<named_semaphore&>().release(1, ec)));
  static_assert(noexcept(std::declval<const named_semaphore&>().value(ec)));
  static_assert(noexcept(named_semaphore::open("x", ec)));
  // wait_once* contain cancellation points (sem_wait): a noexcept there would
  // turn pthread_cancel into std::terminate (test_cancel.cpp).
  static_assert(!noexcept(std::declval<named_semaphore&>().wait_once(ec)));
  static_assert(!noexcept(std::declval<named_semaphore&>().wait_once_until(
      std::declval<std::chrono::steady_clock::time_point>(), ec)));
  SUCCEED();
}

}  // namespace
