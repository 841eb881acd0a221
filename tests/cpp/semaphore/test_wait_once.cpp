// The low-level steps for bindings: wait_once / wait_once_until report
// acquired, timed_out or interrupted (EINTR) without retrying, never throw,
// and put errors in the error_code.
#include "../common/support.hpp"

namespace {

using namespace std::chrono_literals;
using nob::existence_policy;
using nob::named_semaphore;
using nob::wait_result;
using nob_test::late_bound;
using nob_test::SemTest;
using nob_test::signal_storm;
using nob_test::time_of;

class WaitOnce : public SemTest {
 protected:
  named_semaphore make(unsigned value) {
    return named_semaphore(unique_name(), existence_policy::raise_if_exists, value);
  }
};

TEST_F(WaitOnce, AcquiresAnAvailableUnit) {
  named_semaphore s = make(2);
  std::error_code ec = std::make_error_code(std::errc::io_error);
  EXPECT_EQ(s.wait_once(ec), wait_result::acquired);
  EXPECT_FALSE(ec);
  EXPECT_EQ(s.wait_once_until(std::chrono::steady_clock::now() + 10s, ec), wait_result::acquired);
  EXPECT_FALSE(ec);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(WaitOnce, AcquiresAUnitPostedByAnotherProcess) {
  named_semaphore s = make(0);
  const pid_t poster = nob_test::post_later_from_process(s, 100ms);
  std::error_code ec;
  wait_result r = wait_result::timed_out;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  const auto took = time_of([&] {  // a sliced wait ends each slice as interrupted
    while ((r = s.wait_once_until(deadline, ec)) == wait_result::interrupted) {
    }
  });
  EXPECT_EQ(nob_test::wait_child(poster), 0);
  EXPECT_EQ(r, wait_result::acquired);
  EXPECT_FALSE(ec);
  EXPECT_LT(took, 100ms + late_bound);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(WaitOnce, UntimedAcquiresAUnitPostedByAThread) {
  named_semaphore s = make(0);
  std::thread poster([&] {
    std::this_thread::sleep_for(80ms);
    s.release();
  });
  std::error_code ec;
  EXPECT_EQ(s.wait_once(ec), wait_result::acquired);
  poster.join();
  EXPECT_FALSE(ec);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(WaitOnce, TimesOutNoEarlierThanTheDeadline) {
  named_semaphore s = make(0);
  std::error_code ec = std::make_error_code(std::errc::io_error);
  const auto deadline = std::chrono::steady_clock::now() + 100ms;
  wait_result r = wait_result::interrupted;  // a sliced wait ends each slice as interrupted
  while ((r = s.wait_once_until(deadline, ec)) == wait_result::interrupted) {
  }
  EXPECT_EQ(r, wait_result::timed_out);
  EXPECT_FALSE(ec) << "a timeout is not an error";
  EXPECT_GE(std::chrono::steady_clock::now(), deadline);
  EXPECT_LT(std::chrono::steady_clock::now(), deadline + late_bound);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(WaitOnce, PastDeadlineOnEmptySemaphoreTimesOutAtOnce) {
  named_semaphore s = make(0);
  std::error_code ec;
  wait_result r = wait_result::acquired;
  const auto took =
      time_of([&] { r = s.wait_once_until(std::chrono::steady_clock::now() - 1s, ec); });
  EXPECT_EQ(r, wait_result::timed_out);
  EXPECT_FALSE(ec);
  EXPECT_LT(took, 500ms);
}

TEST_F(WaitOnce, ReportsInterruptedOnASignalAndTakesNothing) {
  named_semaphore s = make(0);
  std::error_code ec = std::make_error_code(std::errc::io_error);
  wait_result untimed = wait_result::acquired, timed = wait_result::acquired;
  std::chrono::steady_clock::duration took{};
  {
    signal_storm storm;
    took = time_of([&] {
      untimed = s.wait_once(ec);
      timed = s.wait_once_until(std::chrono::steady_clock::now() + 20s, ec);
    });
  }
  EXPECT_EQ(untimed, wait_result::interrupted);
  EXPECT_EQ(timed, wait_result::interrupted);
  EXPECT_FALSE(ec) << "EINTR is reported as interrupted, not as an error";
  EXPECT_LT(took, late_bound);
  EXPECT_EQ(s.value(), 0);
}

TEST_F(WaitOnce, LoopingOverInterruptsKeepsTheDeadline) {
  // What a binding does: run its handlers, then wait again until the same deadline.
  named_semaphore s = make(0);
  std::error_code ec;
  const auto deadline = std::chrono::steady_clock::now() + 150ms;
  int interrupts = 0;
  wait_result r = wait_result::interrupted;
  {
    signal_storm storm;
    while ((r = s.wait_once_until(deadline, ec)) == wait_result::interrupted) ++interrupts;
  }
  EXPECT_EQ(r, wait_result::timed_out);
  EXPECT_FALSE(ec);
  EXPECT_GE(std::chrono::steady_clock::now(), deadline);
  EXPECT_GE(interrupts, 10);
}

TEST_F(WaitOnce, ClosedHandleIsBadFileDescriptor) {
  named_semaphore s = make(1);
  s.close();
  std::error_code ec;
  EXPECT_NE(s.wait_once(ec), wait_result::acquired);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
  ec.clear();
  EXPECT_NE(s.wait_once_until(std::chrono::steady_clock::now() + 1s, ec), wait_result::acquired);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
}

TEST_F(WaitOnce, TimePointMaxWaitsForAUnit) {
  named_semaphore s = make(0);
  std::thread poster([&] {
    std::this_thread::sleep_for(80ms);
    s.release();
  });
  std::error_code ec;
  EXPECT_EQ(s.wait_once_until(std::chrono::steady_clock::time_point::max(), ec),
            wait_result::acquired);
  poster.join();
  EXPECT_FALSE(ec);
}

}  // namespace
