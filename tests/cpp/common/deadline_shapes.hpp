// Deadlines of every shape a caller can write, for the timed calls of every
// kind: coarse time points at their limits (time_point<system_clock,
// hours>::max() is not representable in nanoseconds), floating ones
// (infinite, NaN), and other clocks. A far deadline must wait (never return
// early, never overflow: UBSan builds run these); a passed one, or NaN, is
// one try.
#ifndef NOB_TESTS_DEADLINE_SHAPES_HPP
#define NOB_TESTS_DEADLINE_SHAPES_HPP

#include "clocks.hpp"
#include "support.hpp"

#include <chrono>
#include <limits>
#include <string>
#include <thread>

namespace nob_test {

/// Calls f(label, deadline) for time points later than any wait.
template <class F>
void for_each_far_time_point(F&& f) {
  using namespace std::chrono;
  constexpr double inf = std::numeric_limits<double>::infinity();
  f("time_point<system_clock, seconds>::max()", time_point<system_clock, seconds>::max());
  f("time_point<system_clock, hours>::max()", time_point<system_clock, hours>::max());
  f("time_point<steady_clock, seconds>::max()", time_point<steady_clock, seconds>::max());
  f("time_point<steady_clock, hours>::max()", time_point<steady_clock, hours>::max());
  f("time_point<offset_clock, hours>::max()", time_point<offset_clock, hours>::max());
  f("time_point<system_clock, duration<double>>(+inf)",
    time_point<system_clock, duration<double>>(duration<double>(inf)));
  f("time_point<steady_clock, duration<double, std::milli>>(double max)",
    time_point<steady_clock, duration<double, std::milli>>(
        duration<double, std::milli>(std::numeric_limits<double>::max())));
  f("double_clock +inf", double_clock::time_point(double_clock::duration(inf)));
}

/// Calls f(label, duration) for durations longer than any wait.
template <class F>
void for_each_far_duration(F&& f) {
  using namespace std::chrono;
  f("hours::max()", hours::max());
  f("seconds::max()", seconds::max());
  f("duration<double>(+inf)", duration<double>(std::numeric_limits<double>::infinity()));
  f("duration<float, std::ratio<3600>>(float max)",
    duration<float, std::ratio<3600>>(std::numeric_limits<float>::max()));
}

/// Calls f(label, deadline) for time points that have passed, or are NaN.
template <class F>
void for_each_passed_time_point(F&& f) {
  using namespace std::chrono;
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  f("time_point<system_clock, hours>::min()", time_point<system_clock, hours>::min());
  f("time_point<steady_clock, hours>::min()", time_point<steady_clock, hours>::min());
  f("time_point<offset_clock, hours>::min()", time_point<offset_clock, hours>::min());
  f("time_point<system_clock, duration<double>>(-inf)",
    time_point<system_clock, duration<double>>(duration<double>(-inf)));
  f("time_point<system_clock, duration<double>>(NaN)",
    time_point<system_clock, duration<double>>(duration<double>(nan)));
  f("time_point<steady_clock, duration<double>>(NaN)",
    time_point<steady_clock, duration<double>>(duration<double>(nan)));
  f("double_clock NaN", double_clock::time_point(double_clock::duration(nan)));
}

/// Calls f(label, duration) for durations that are no wait at all, or NaN.
template <class F>
void for_each_passed_duration(F&& f) {
  using namespace std::chrono;
  f("hours::min()", hours::min());
  f("duration<double>(-inf)", duration<double>(-std::numeric_limits<double>::infinity()));
  f("duration<double>(NaN)", duration<double>(std::numeric_limits<double>::quiet_NaN()));
}

/// `wait()` (true: it got what it waited for) while a thread calls
/// `supply()` 300 ms after the start: it must wait for that supply, and
/// return true after it, not before. When it did not take the supply,
/// `undo()` takes it back, so that the next case starts as this one did.
template <class Wait, class Supply, class Undo>
::testing::AssertionResult waits_for_the_supply(const std::string& what, Wait&& wait,
                                                Supply&& supply, Undo&& undo) {
  using namespace std::chrono_literals;
  const auto t0 = std::chrono::steady_clock::now();
  std::thread later([&] {
    std::this_thread::sleep_for(300ms);
    supply();
  });
  const bool got = wait();
  const auto took = std::chrono::steady_clock::now() - t0;
  later.join();
  if (!got) undo();
  if (!got) return ::testing::AssertionFailure() << what << ": returned false after " << (took / 1ms) << " ms";
  if (took < 250ms)
    return ::testing::AssertionFailure() << what << ": returned after " << (took / 1ms)
                                         << " ms, before the supply";
  return ::testing::AssertionSuccess();
}

/// `wait()` must return false at once (one try, no wait).
template <class Wait>
::testing::AssertionResult is_one_try(const std::string& what, Wait&& wait) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool got = wait();
  const auto took = std::chrono::steady_clock::now() - t0;
  if (got) return ::testing::AssertionFailure() << what << ": returned true with nothing there";
  if (took > late_bound)
    return ::testing::AssertionFailure()
           << what << ": waited " << (took / std::chrono::milliseconds(1)) << " ms";
  return ::testing::AssertionSuccess();
}

}  // namespace nob_test

#endif  // NOB_TESTS_DEADLINE_SHAPES_HPP
