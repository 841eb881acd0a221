// Timed waits: steady deadlines, never early, never success without a unit;
// zero or negative tries once; huge durations saturate; system_clock and
// any other clock are honoured by re-checking that clock; a unit freed by
// another process ends the wait.
#include "support.hpp"

namespace robust_test {
namespace {

using std::chrono::steady_clock;
using std::chrono::system_clock;

/// A clock that runs with steady_clock but from another epoch.
struct shifted_clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<shifted_clock>;
  static constexpr bool is_steady = false;
  static time_point now() noexcept {
    return time_point(steady_clock::now().time_since_epoch() + std::chrono::hours(1000));
  }
};

constexpr auto late_bound = 2500ms;

class Timed : public RobustTest {
 protected:
  void SetUp() override {
    s_ = std::make_unique<robust_semaphore>(unique_name(), existence_policy::raise_if_exists, 1);
    s_->acquire();  // full from here on
  }
  std::unique_ptr<robust_semaphore> s_;
};

TEST_F(Timed, ForNeverEarly) {
  for (auto d : {1ms, 20ms, 120ms}) {
    const auto t0 = steady_clock::now();
    EXPECT_FALSE(s_->try_acquire_for(d));
    const auto took = steady_clock::now() - t0;
    EXPECT_GE(took, d);
    EXPECT_LT(took, d + late_bound);
  }
  EXPECT_FALSE(s_->try_acquire_for(std::chrono::duration<double>(0.03)));
  EXPECT_EQ(s_->held(), 1u);
}

TEST_F(Timed, ZeroOrNegativeTriesOnce) {
  const auto t0 = steady_clock::now();
  EXPECT_FALSE(s_->try_acquire_for(0ms));
  EXPECT_FALSE(s_->try_acquire_for(-5s));
  EXPECT_FALSE(s_->try_acquire_until(steady_clock::now() - 1s));
  EXPECT_FALSE(s_->try_acquire_until(system_clock::time_point::min()));
  EXPECT_FALSE(s_->try_acquire_until(steady_clock::time_point::min()));
  EXPECT_LT(steady_clock::now() - t0, late_bound);
  s_->release();
  EXPECT_TRUE(s_->try_acquire_for(0ms)) << "a free unit is taken without waiting";
  s_->release();
  EXPECT_TRUE(s_->try_acquire_until(steady_clock::now() - 1s));
}

TEST_F(Timed, HugeDurationsSaturate) {
  s_->release();
  EXPECT_TRUE(s_->try_acquire_for(std::chrono::nanoseconds::max()));
  s_->release();
  EXPECT_TRUE(s_->try_acquire_for(std::chrono::hours::max()));
  s_->release();
  EXPECT_TRUE(s_->try_acquire_until(steady_clock::time_point::max()));
  s_->release();
  EXPECT_TRUE(s_->try_acquire_until(system_clock::time_point::max()));
}

TEST_F(Timed, UntilHonoursEveryClock) {
  {
    const auto d = system_clock::now() + 60ms;
    EXPECT_FALSE(s_->try_acquire_until(d));
    EXPECT_GE(system_clock::now(), d);
  }
  {
    const auto d = steady_clock::now() + 60ms;
    EXPECT_FALSE(s_->try_acquire_until(d));
    EXPECT_GE(steady_clock::now(), d);
  }
  {
    const auto d = shifted_clock::now() + 130ms;  // more than one slice
    EXPECT_FALSE(s_->try_acquire_until(d));
    EXPECT_GE(shifted_clock::now(), d);
  }
}

TEST_F(Timed, AnotherProcessFreesAUnitMidWait) {
  const std::string name = s_->name();
  s_->release();
  int out = -1;
  const pid_t child = start_holder(name, out);
  std::thread killer([&] {
    std::this_thread::sleep_for(100ms);
    ::kill(child, SIGKILL);
  });
  const auto t0 = steady_clock::now();
  EXPECT_TRUE(s_->try_acquire_for(20s));
  EXPECT_LT(steady_clock::now() - t0, 20s);
  killer.join();
  wait_child(child);
  ::close(out);
}

}  // namespace
}  // namespace robust_test
