// Clocks that are neither steady_clock nor system_clock, to check that
// try_acquire_until honours the clock of its deadline.
#ifndef NOB_TESTS_CLOCKS_HPP
#define NOB_TESTS_CLOCKS_HPP

#include <chrono>
#include <ratio>

namespace nob_test {

/// steady_clock seen from another epoch (1000 h later) in microseconds.
struct offset_clock {
  using rep = long long;
  using period = std::micro;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<offset_clock>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept {
    return time_point(std::chrono::duration_cast<duration>(
                          std::chrono::steady_clock::now().time_since_epoch()) +
                      std::chrono::hours(1000));
  }
};

/// A clock that runs at half the speed of steady_clock: waiting until
/// now() + d on it takes 2 d of real time, so only re-checking this clock
/// (not converting once) gets the deadline right.
struct half_speed_clock {
  using rep = long long;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<half_speed_clock>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept {
    return time_point(std::chrono::steady_clock::now().time_since_epoch() / 2);
  }
};

/// steady_clock counted in floating-point seconds.
struct double_clock {
  using rep = double;
  using period = std::ratio<1>;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<double_clock>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept {
    return time_point(std::chrono::duration_cast<duration>(
        std::chrono::steady_clock::now().time_since_epoch()));
  }
};

}  // namespace nob_test

#endif  // NOB_TESTS_CLOCKS_HPP
