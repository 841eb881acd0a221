// The macos-emu target only: nob built as for Darwin (sem_open, polling,
// 30-byte names, no sem_getvalue, steady_clock != CLOCK_MONOTONIC) against
// a C library that behaves as Darwin's (../darwin_shim.cpp).
#include "../darwin_shim.hpp"
#include "../platform_support.hpp"

#include <semaphore.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;
using nob_platform::count_units;
using nob_platform::late_bound;
using nob_platform::post_later;
using nob_platform::time_of;

/// sem_getvalue fails with ENOSYS in every test of this file.
class Darwin : public nob_platform::PlatformTest {
 protected:
  void SetUp() override { nob_platform::set_sem_getvalue_enosys(true); }
  void TearDown() override {
    nob_platform::set_sem_getvalue_enosys(false);
    PlatformTest::TearDown();
  }
  named_semaphore make(unsigned value) {
    return named_semaphore(unique_name(), existence_policy::raise_if_exists, value);
  }
};

TEST_F(Darwin, BuildTakesTheDarwinPaths) {
  EXPECT_FALSE(nob::uses_dev_shm);
  EXPECT_EQ(nob::compiled_wait_strategy, nob::wait_strategy::poll);
  EXPECT_EQ(nob::detail::max_name_length, 30u);
  EXPECT_EQ(NOB_HAVE_SEM_GETVALUE, 0);
  EXPECT_EQ(NOB_STEADY_IS_MONOTONIC, 0);
}

TEST_F(Darwin, ShimMakesSteadyClockDifferFromClockMonotonic) {
  timespec ts{};
  ASSERT_EQ(::clock_gettime(CLOCK_MONOTONIC, &ts), 0);
  const auto mono = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  const auto steady = std::chrono::steady_clock::now().time_since_epoch();
  EXPECT_GT(mono - steady, std::chrono::seconds(nob_platform::darwin_clock_offset_s - 60));
}

TEST_F(Darwin, ShimMakesSemGetvalueFailWithEnosys) {
  named_semaphore s = make(1);
  int v = -7;
  errno = 0;
  EXPECT_EQ(::sem_getvalue(s.native_handle(), &v), -1);
  EXPECT_EQ(errno, ENOSYS);
}

TEST_F(Darwin, ValueSaysFunctionNotSupported) {
  named_semaphore s = make(1);
  try {
    (void)s.value();
    ADD_FAILURE() << "value() returned without sem_getvalue";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::function_not_supported) << e.what();
  }
}

TEST_F(Darwin, EverythingButValueWorksWithoutSemGetvalue) {
  const long calls = nob_platform::sem_getvalue_calls();
  named_semaphore s = make(0);
  s.release();
  s.release(4);
  std::error_code ec;
  s.release(2, ec);
  EXPECT_FALSE(ec) << ec.message();
  s.release(0);
  EXPECT_TRUE(s.try_acquire());
  EXPECT_TRUE(s.try_acquire_for(10ms));
  EXPECT_TRUE(s.try_acquire_until(std::chrono::steady_clock::now() + 10ms));
  EXPECT_TRUE(s.try_acquire_until(std::chrono::system_clock::now() + 10ms));
  s.acquire();
  s.unlock();
  named_semaphore other(s.name(), existence_policy::link_or_create, 9);
  EXPECT_TRUE(other.linked_existing());
  EXPECT_EQ(nob_platform::sem_getvalue_calls(), calls) << "the header called sem_getvalue";
  EXPECT_EQ(count_units(s), 3);  // 1 + 4 + 2 posted, 5 taken, 1 unlocked
}

TEST_F(Darwin, ReleaseOfManyPostsExactlyThatMany) {
  named_semaphore s = make(0);
  s.release(1000);
  EXPECT_EQ(count_units(s), 1000);
}

/// Each steady or system deadline 200 ms away must take 200 ms, although
/// CLOCK_MONOTONIC is an hour ahead of steady_clock.
TEST_F(Darwin, SteadyDeadlinesAreKeptOnSteadyClock) {
  named_semaphore s = make(0);
  const auto check = [](const char* what, auto&& wait) {
    bool got = true;
    const auto took = time_of([&] { got = wait(); });
    EXPECT_FALSE(got) << what;
    EXPECT_GE(took, 200ms) << what << " ended early";
    EXPECT_LT(took, 200ms + late_bound) << what;
  };
  check("try_acquire_for", [&] { return s.try_acquire_for(200ms); });
  check("try_acquire_until(steady)",
        [&] { return s.try_acquire_until(std::chrono::steady_clock::now() + 200ms); });
  check("try_acquire_until(system)",
        [&] { return s.try_acquire_until(std::chrono::system_clock::now() + 200ms); });
  check("wait_once_until", [&] {
    const auto deadline = std::chrono::steady_clock::now() + 200ms;
    std::error_code ec;
    nob::wait_result r;
    do {
      r = s.wait_once_until(deadline, ec);
    } while (r == nob::wait_result::interrupted);
    EXPECT_FALSE(ec) << ec.message();
    return r == nob::wait_result::acquired;
  });
}

TEST_F(Darwin, SteadyDeadlineWaitIsServedByAPost) {
  named_semaphore s = make(0);
  bool got = false;
  const auto took = time_of([&] {
    post_later poster(s, 200ms);
    got = s.try_acquire_until(std::chrono::steady_clock::now() + 20s);
  });
  EXPECT_TRUE(got);
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 200ms + late_bound);
}

TEST_F(Darwin, NamesOfThirtyBytesWorkAndThirtyOneAreRefused) {
  std::string ok = unique_name();
  ok.resize(30, 'x');
  {
    named_semaphore s(ok, existence_policy::raise_if_exists, 0);
    EXPECT_EQ(s.name(), "/" + ok);
    EXPECT_TRUE(named_semaphore::exists(ok));
  }
  EXPECT_FALSE(named_semaphore::exists(ok));
  const std::string too_long = ok + "y";
  EXPECT_FALSE(nob::is_valid_name(too_long));
  try {
    named_semaphore s(too_long, existence_policy::link_or_create, 0);
    ADD_FAILURE() << "a 31-byte name was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("longer than this platform allows"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(named_semaphore::exists(too_long), std::invalid_argument);
  EXPECT_THROW(named_semaphore::remove(too_long), std::invalid_argument);
}

}  // namespace
