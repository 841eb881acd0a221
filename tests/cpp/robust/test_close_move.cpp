// close() is idempotent and never throws; a closed or moved-from handle
// owns nothing and every call on it fails with bad_file_descriptor.
#include "support.hpp"

namespace robust_test {
namespace {

class CloseMove : public RobustTest {};

TEST_F(CloseMove, CloseIsIdempotent) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists);
  EXPECT_TRUE(s.is_open());
  s.close();
  EXPECT_FALSE(s.is_open());
  s.close();
  EXPECT_FALSE(s.is_open());
}

TEST_F(CloseMove, ClosedHandleRefusesEverything) {
  robust_semaphore s(unique_name(), existence_policy::raise_if_exists);
  s.close();
  auto ebadf = [](auto&& f) {
    try {
      f();
      return false;
    } catch (const std::system_error& e) {
      return e.code() == std::errc::bad_file_descriptor &&
             std::string(e.what()).find("closed") != std::string::npos;
    }
  };
  EXPECT_TRUE(ebadf([&] { s.acquire(); }));
  EXPECT_TRUE(ebadf([&] { s.try_acquire(); }));
  EXPECT_TRUE(ebadf([&] { s.try_acquire_for(1ms); }));
  EXPECT_TRUE(ebadf([&] { s.try_acquire_until(std::chrono::system_clock::now()); }));
  EXPECT_TRUE(ebadf([&] { s.release(); }));
  EXPECT_TRUE(ebadf([&] { s.value(); }));
  EXPECT_TRUE(ebadf([&] { s.held(); }));
  EXPECT_TRUE(ebadf([&] { s.holders(); }));
  EXPECT_TRUE(ebadf([&] { s.persistent(); }));
  EXPECT_TRUE(ebadf([&] { s.persistent(true); }));
  EXPECT_TRUE(ebadf([&] { s.unlink(); }));
  s.unlock();  // never throws
  std::error_code ec;
  EXPECT_FALSE(s.try_acquire(ec));
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
  s.release(1, ec);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
  EXPECT_EQ(s.wait_once(ec), nob::wait_result::timed_out);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
  EXPECT_EQ(s.wait_word(), nullptr);
}

TEST_F(CloseMove, MovedFromOwnsNothing) {
  const auto name = unique_name();
  robust_semaphore a(name, existence_policy::raise_if_exists, 2);
  a.acquire();
  robust_semaphore b(std::move(a));
  EXPECT_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(a.name().empty());
  EXPECT_EQ(a.capacity(), 0u);
  a.close();
  EXPECT_TRUE(robust_semaphore::exists(name)) << "closing the moved-from handle did nothing";
  EXPECT_EQ(b.held(), 1u);
  EXPECT_EQ(b.name(), "/" + name);
  robust_semaphore c(unique_name("c"), existence_policy::raise_if_exists);
  const std::string c_name = c.name();
  c = std::move(b);  // closes c's object (its last handle: name removed)
  EXPECT_FALSE(robust_semaphore::exists(c_name));
  EXPECT_EQ(c.held(), 1u);
}

}  // namespace
}  // namespace robust_test
