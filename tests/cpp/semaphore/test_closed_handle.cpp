// A closed (or moved-from) handle: every operation throws system_error with
// errc::bad_file_descriptor; unlock(), close() and the destructor never throw.
#include "../common/support.hpp"

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;
using nob_test::SemTest;

class ClosedHandle : public SemTest {};

/// Expects `f` to throw system_error with bad_file_descriptor.
template <class F>
void expect_ebadf(F&& f, const char* what) {
  try {
    f();
    ADD_FAILURE() << what << ": no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::bad_file_descriptor) << what;
    EXPECT_EQ(e.code().category(), std::generic_category()) << what;
  } catch (...) {
    ADD_FAILURE() << what << ": not a system_error";
  }
}

void expect_all_calls_fail(named_semaphore& s) {
  expect_ebadf([&] { s.acquire(); }, "acquire");
  expect_ebadf([&] { (void)s.try_acquire(); }, "try_acquire");
  expect_ebadf([&] { (void)s.try_acquire_for(10ms); }, "try_acquire_for");
  expect_ebadf([&] { (void)s.try_acquire_for(0ms); }, "try_acquire_for(0)");
  expect_ebadf([&] { (void)s.try_acquire_until(std::chrono::steady_clock::now() + 10ms); },
               "try_acquire_until steady");
  expect_ebadf([&] { (void)s.try_acquire_until(std::chrono::system_clock::now() + 10ms); },
               "try_acquire_until system");
  expect_ebadf([&] { s.release(); }, "release");
  expect_ebadf([&] { s.release(0); }, "release(0)");
  expect_ebadf([&] { (void)s.value(); }, "value");
  expect_ebadf([&] { s.lock(); }, "lock");
  expect_ebadf([&] { (void)s.try_lock(); }, "try_lock");
  expect_ebadf([&] { (void)s.try_lock_for(10ms); }, "try_lock_for");
  expect_ebadf([&] { (void)s.try_lock_until(std::chrono::steady_clock::now() + 10ms); },
               "try_lock_until");
  expect_ebadf([&] { s.unlink(); }, "unlink");
  EXPECT_NO_THROW(s.unlock());
  EXPECT_NO_THROW(s.close());
  EXPECT_FALSE(s.is_open());
  EXPECT_EQ(s.native_handle(), nullptr);
}

TEST_F(ClosedHandle, EveryCallAfterCloseFails) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  s.unlink_on_destroy(false);
  s.close();
  expect_all_calls_fail(s);
  EXPECT_TRUE(named_semaphore::exists(name)) << "a failed unlink() must not have removed the name";
}

TEST_F(ClosedHandle, EveryCallOnAMovedFromHandleFails) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists);
  named_semaphore t(std::move(s));
  expect_all_calls_fail(s);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(t.is_open());
}

TEST_F(ClosedHandle, ReleaseOfNegativeCountOnClosedHandleStillThrows) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists);
  s.close();
  EXPECT_ANY_THROW(s.release(-1));
}

TEST_F(ClosedHandle, UnlockAndCloseNeverThrowEvenTwice) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists);
  s.close();
  s.close();
  s.unlock();
  s.unlock();
  SUCCEED();
}

TEST_F(ClosedHandle, TheMessageSaysTheHandleIsClosed) {
  named_semaphore s(unique_name(), existence_policy::raise_if_exists);
  s.close();
  try {
    s.acquire();
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
  }
}

TEST_F(ClosedHandle, StaticCallsStillWorkWithoutAHandle) {
  const std::string name = unique_name();
  named_semaphore s(name, existence_policy::raise_if_exists);
  s.unlink_on_destroy(false);
  s.close();
  EXPECT_TRUE(named_semaphore::exists(name));
  EXPECT_TRUE(named_semaphore::remove(name));
}

}  // namespace
