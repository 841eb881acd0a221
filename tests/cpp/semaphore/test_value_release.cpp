// value(), release(n) and the overflow rule at max().
#include "../common/support.hpp"

#include <climits>

namespace {

using nob::existence_policy;
using nob::named_semaphore;
using nob_test::SemTest;

class ValueRelease : public SemTest {
 protected:
  named_semaphore make(unsigned value) {
    return named_semaphore(unique_name(), existence_policy::raise_if_exists, value);
  }
};

TEST_F(ValueRelease, MaxIsSemValueMax) {
  static_assert(named_semaphore::max() == SEM_VALUE_MAX);
  static_assert(noexcept(named_semaphore::max()));
  EXPECT_GT(named_semaphore::max(), 0);
}

TEST_F(ValueRelease, ReleaseDefaultsToOne) {
  named_semaphore s = make(0);
  s.release();
  EXPECT_EQ(s.value(), 1);
}

TEST_F(ValueRelease, ReleaseNPostsN) {
  named_semaphore s = make(2);
  s.release(3);
  EXPECT_EQ(s.value(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(s.try_acquire());
  EXPECT_FALSE(s.try_acquire());
  EXPECT_EQ(s.value(), 0);
}

TEST_F(ValueRelease, ReleaseZeroDoesNothing) {
  named_semaphore s = make(4);
  s.release(0);
  EXPECT_EQ(s.value(), 4);
  named_semaphore top = named_semaphore(unique_name("top"), existence_policy::raise_if_exists,
                                        static_cast<unsigned>(named_semaphore::max()));
  EXPECT_NO_THROW(top.release(0));
  EXPECT_EQ(top.value(), named_semaphore::max());
}

TEST_F(ValueRelease, NegativeCountIsInvalidArgumentAndPostsNothing) {
  named_semaphore s = make(1);
  EXPECT_THROW(s.release(-1), std::invalid_argument);
  EXPECT_THROW(s.release(PTRDIFF_MIN), std::invalid_argument);
  EXPECT_EQ(s.value(), 1);
}

TEST_F(ValueRelease, ValueIsSharedBetweenHandlesAndProcesses) {
  named_semaphore a = make(0);
  named_semaphore b(a.name());
  a.release(2);
  EXPECT_EQ(b.value(), 2);
  const int rc = nob_test::run_in_child([&] {
    named_semaphore c(a.name());
    return c.value() == 2 && c.try_acquire() ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(a.value(), 1);
}

TEST_F(ValueRelease, ReleaseAtMaxIsValueTooLargeAndLeavesTheValue) {
  named_semaphore s = make(static_cast<unsigned>(named_semaphore::max()));
  try {
    s.release();
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::value_too_large);
    EXPECT_EQ(e.code().category(), std::generic_category());
    EXPECT_NE(std::string(e.what()).find(s.name()), std::string::npos) << e.what();
  }
  EXPECT_EQ(s.value(), named_semaphore::max());
}

TEST_F(ValueRelease, ReleasePastMaxPostsNothing) {
  named_semaphore s = make(static_cast<unsigned>(named_semaphore::max() - 1));
  try {
    s.release(2);
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::value_too_large);
  }
  EXPECT_EQ(s.value(), named_semaphore::max() - 1) << "a partial count was posted";
  s.release(1);
  EXPECT_EQ(s.value(), named_semaphore::max());
}

TEST_F(ValueRelease, ReleaseMoreThanMaxFromSmallValuePostsNothing) {
  named_semaphore s = make(5);
  EXPECT_THROW(s.release(named_semaphore::max()), std::system_error);
  EXPECT_EQ(s.value(), 5);
  EXPECT_THROW(s.release(PTRDIFF_MAX), std::system_error);
  EXPECT_EQ(s.value(), 5);
}

TEST_F(ValueRelease, ReleaseUpToExactlyMaxWorks) {
  named_semaphore s = make(static_cast<unsigned>(named_semaphore::max() - 3));
  s.release(3);
  EXPECT_EQ(s.value(), named_semaphore::max());
}

TEST_F(ValueRelease, UnlockAtMaxNeitherThrowsNorChangesTheValue) {
  named_semaphore s = make(static_cast<unsigned>(named_semaphore::max()));
  s.unlock();
  EXPECT_EQ(s.value(), named_semaphore::max());
}

TEST_F(ValueRelease, ValueIsNeverNegativeWhileOthersWait) {
  named_semaphore s = make(0);
  std::thread waiter([&] { s.acquire(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(s.value(), 0);
  s.release();
  waiter.join();
  EXPECT_EQ(s.value(), 0);
}

}  // namespace

namespace {

using nob::existence_policy;
using nob::named_semaphore;

class NativeHandle : public nob_test::SemTest {};

TEST_F(NativeHandle, IsTheLiveSemaphoreForSemCalls) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 0);
  sem_t* h = s.native_handle();
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(::sem_post(h), 0);
  const named_semaphore& view = s;  // value() is const
  EXPECT_EQ(view.value(), 1);
  EXPECT_EQ(::sem_trywait(h), 0);
  EXPECT_EQ(view.value(), 0);
  int v = -1;
  s.release(2);
  ASSERT_EQ(::sem_getvalue(h, &v), 0);
  EXPECT_EQ(v, 2);
}

TEST_F(NativeHandle, InteroperatesWithPlainSemOpen) {
  // On Linux nob's semaphores are glibc's: sem_open sees the same one.
  named_semaphore s(unique_name(), existence_policy::raise_if_exists, 3);
  sem_t* other = ::sem_open(s.name().c_str(), 0);
  ASSERT_NE(other, SEM_FAILED);
  int v = -1;
  EXPECT_EQ(::sem_getvalue(other, &v), 0);
  EXPECT_EQ(v, 3);
  EXPECT_EQ(::sem_post(other), 0);
  EXPECT_EQ(s.value(), 4);
  ::sem_close(other);
}

}  // namespace
