///
// nob - the one deadline engine (implementation detail)
//
// Every timed call of every kind waits here. A kind gives only its own wait
// step, one blocking call towards an absolute deadline:
//
//   wait_result step(clockid_t clock, std::chrono::nanoseconds at, int& err)
//
// `clock` is CLOCK_MONOTONIC, or CLOCK_REALTIME for a step that can wait on
// it (step_clocks::monotonic_and_realtime); `at` counts ns since that clock's
// epoch, nanoseconds::max() means no deadline, and a passed `at` asks for
// one try that never blocks. The step returns acquired, timed_out (never
// before `clock` reached `at`; with `err` set when it failed) or interrupted
// (EINTR, or a slice of its own ended early). This file decides the rest,
// once for every kind:
//
//  * steady_clock deadlines wait on CLOCK_MONOTONIC directly where
//    NOB_STEADY_IS_MONOTONIC says that is what steady_clock reads; elsewhere
//    (Apple: CLOCK_UPTIME_RAW) the time left is measured with
//    steady_clock::now(), waited on CLOCK_MONOTONIC and checked again;
//  * system_clock deadlines wait on CLOCK_REALTIME where the step can, so a
//    wall-clock change moves them as POSIX specifies;
//  * any other clock (and system_clock for a step that cannot): the time
//    left, at most one slice (NOB_TIMEDWAIT_SLICE_MS) at a time, waited on
//    CLOCK_MONOTONIC, then that clock is asked again: only it can say the
//    time is up, and a jump of it costs at most one slice;
//  * every deadline is converted without overflow: a time point or duration
//    past what nanoseconds hold (time_point<system_clock, hours>::max(),
//    +infinity) means no deadline, one before (min(), -infinity) has
//    passed, and NaN has passed too (one try); floating and coarse
//    durations never hit undefined behaviour.
//
// A step that times out on CLOCK_MONOTONIC while the deadline's own clock
// says the time is not up yet is reported as `interrupted`: callers that run
// signal handlers between steps (the bindings) call again with the same
// deadline; wait() does that itself.
///

#ifndef NOB_DETAIL_DEADLINE_HPP
#define NOB_DETAIL_DEADLINE_HPP

#include <nob/common.hpp>

#include <time.h>

#include <chrono>
#include <limits>
#include <ratio>
#include <type_traits>

namespace nob::detail {

/// A time since a clock's epoch as a timespec, floored for times before the
/// epoch and clamped to what time_t holds (a 32-bit time_t ends in 2038: a
/// later deadline becomes the last representable second, never a negative
/// one that would end a wait at once).
inline timespec to_timespec(std::chrono::nanoseconds since_epoch) noexcept {
  using namespace std::chrono;
  auto s = duration_cast<seconds>(since_epoch);
  auto ns = since_epoch - s;
  if (ns.count() < 0) {  // floor for times before the epoch
    s -= seconds(1);
    ns += seconds(1);
  }
  timespec ts{};
  using sec_t = decltype(ts.tv_sec);
  constexpr auto hi = static_cast<long long>(std::numeric_limits<sec_t>::max());
  constexpr auto lo = static_cast<long long>(std::numeric_limits<sec_t>::min());
  const long long sc = s.count();  // seconds::rep is at least 35 bits: long or long long
  if (sc > hi) {
    ts.tv_sec = std::numeric_limits<sec_t>::max();
    ts.tv_nsec = 999999999L;
  } else if (sc < lo) {
    ts.tv_sec = std::numeric_limits<sec_t>::min();
    ts.tv_nsec = 0;
  } else {
    ts.tv_sec = static_cast<sec_t>(sc);
    ts.tv_nsec = static_cast<long>(ns.count() + 0LL);  // + 0LL: no useless cast where count() is long
  }
  return ts;
}

/// Now on `clock`, in ns since that clock's epoch.
inline std::chrono::nanoseconds now_on(clockid_t clock) noexcept {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

/// true for the deadline that means "never".
inline bool is_forever(std::chrono::nanoseconds deadline) noexcept {
  return deadline == std::chrono::nanoseconds::max();
}

/// `base + d`, rounded up to whole nanoseconds and saturated instead of
/// overflowing: nanoseconds::max() (never) at or past the largest point,
/// nanoseconds::min() (passed) at or before the smallest, and for NaN.
/// Any duration: coarse (hours::max()), floating, infinite.
template <class Rep, class Period>
std::chrono::nanoseconds saturating_add(std::chrono::nanoseconds base,
                                        const std::chrono::duration<Rep, Period>& d) noexcept {
  using namespace std::chrono;
  if constexpr (std::is_floating_point_v<Rep>) {
    if (d.count() != d.count()) return nanoseconds::min();  // NaN: no time at all
  }
  using ld = duration<long double, std::nano>;
  const ld room = ld(nanoseconds::max()) - ld(base);
  const ld want = duration_cast<ld>(d);
  if (!(want < room - ld(1))) return nanoseconds::max();
  if (want < ld(nanoseconds::min()) - ld(base) + ld(1)) return nanoseconds::min();
  return base + ceil<nanoseconds>(want);
}

/// A time_point of any clock as ns since its epoch, saturated as
/// saturating_add() (NaN: passed).
template <class Clock, class Duration>
std::chrono::nanoseconds since_epoch_saturated(
    const std::chrono::time_point<Clock, Duration>& t) noexcept {
  return saturating_add(std::chrono::nanoseconds(0), t.time_since_epoch());
}

/// A steady_clock deadline `rel` from now, in ns since steady_clock's epoch
/// (saturated; nanoseconds::max() means never). Measured with
/// steady_clock::now() itself, so it is right whatever clock the library's
/// steady_clock reads. The one helper for "a timeout in seconds from now"
/// (the bindings pass duration<double>).
template <class Rep, class Period>
std::chrono::nanoseconds steady_deadline_after(
    const std::chrono::duration<Rep, Period>& rel) noexcept {
  using namespace std::chrono;
  const nanoseconds now = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch());
  return saturating_add(now, rel);
}

/// Time left until a steady_clock deadline (ns since its epoch), never negative.
inline std::chrono::nanoseconds steady_left(std::chrono::nanoseconds deadline) noexcept {
  using namespace std::chrono;
  const nanoseconds now = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch());
  return deadline > now ? deadline - now : nanoseconds(0);
}

/// For a call that only knows CLOCK_REALTIME (sem_timedwait, mq_timedsend,
/// mq_timedreceive): where to end this slice of a wait until `deadline` on
/// `clock` (`now`: that clock's present, before the deadline). On
/// CLOCK_REALTIME the deadline itself; on another clock at most
/// NOB_TIMEDWAIT_SLICE_MS from now, after which the caller asks `clock`
/// again: a forward wall-clock jump only ends a slice early, a backward one
/// lengthens the slice under way by the jump.
inline timespec realtime_slice_end(clockid_t clock, std::chrono::nanoseconds deadline,
                                   std::chrono::nanoseconds now) noexcept {
  using namespace std::chrono;
  if (clock == CLOCK_REALTIME) return to_timespec(deadline);
  nanoseconds left = deadline - now;
  if (left > milliseconds(NOB_TIMEDWAIT_SLICE_MS)) left = milliseconds(NOB_TIMEDWAIT_SLICE_MS);
  return to_timespec(now_on(CLOCK_REALTIME) + left);
}

/// Which clocks a kind's wait step can wait on (a parameter of the engine).
enum class step_clocks {
  monotonic_only,          ///< system_clock deadlines are then re-checked like any other clock
  monotonic_and_realtime,  ///< sem_clockwait, sem_timedwait, mq_timed*: POSIX's realtime waits
};

/// Now on `Clock` in ns since its epoch (saturated).
template <class Clock>
std::chrono::nanoseconds clock_now() noexcept {
  return since_epoch_saturated(Clock::now());
}

/// One step of `step` towards `at` (ns since the epoch of `Clock`, from
/// since_epoch_saturated() or steady_deadline_after()), on the clock this
/// file chooses for `Clock` (see the top of the file). Returns acquired;
/// timed_out only once `Clock` has reached `at` (after one last try) or
/// when the step failed (`err` set); interrupted otherwise: call again with
/// the same `at`.
template <class Clock, class Step>
wait_result step_toward(std::chrono::nanoseconds at, step_clocks clocks, Step&& step, int& err) {
  using namespace std::chrono;
  err = 0;
  if (is_forever(at)) return step(CLOCK_MONOTONIC, at, err);
  constexpr bool steady = std::is_same_v<Clock, steady_clock>;
  if constexpr (steady && NOB_STEADY_IS_MONOTONIC != 0) {
    return step(CLOCK_MONOTONIC, at, err);
  } else {
    if constexpr (std::is_same_v<Clock, system_clock>) {
      // system_clock is CLOCK_REALTIME, counted from the same epoch, everywhere.
      if (clocks == step_clocks::monotonic_and_realtime) return step(CLOCK_REALTIME, at, err);
    }
    const nanoseconds now = clock_now<Clock>();
    if (!(now < at)) return step(CLOCK_MONOTONIC, nanoseconds::min(), err);  // the last try
    nanoseconds left = now < nanoseconds(0) && at > nanoseconds::max() + now ? nanoseconds::max()
                                                                             : at - now;
    // steady_clock on another clock runs at its pace: no cap needed
    constexpr nanoseconds slice = milliseconds(NOB_TIMEDWAIT_SLICE_MS);
    if (!steady && left > slice) left = slice;
    const wait_result r = step(CLOCK_MONOTONIC, saturating_add(now_on(CLOCK_MONOTONIC), left), err);
    // CLOCK_MONOTONIC's time is up, maybe not `Clock`'s: it decides next call.
    return r == wait_result::timed_out && err == 0 ? wait_result::interrupted : r;
  }
}

/// Steps towards `at` on `Clock` until the step acquires (true) or the
/// deadline passes (false), retrying interruptions against the same
/// deadline. `err` is set (and false returned) when the step failed.
template <class Clock, class Step>
bool wait_toward(std::chrono::nanoseconds at, step_clocks clocks, Step&& step, int& err) {
  for (;;) {
    switch (step_toward<Clock>(at, clocks, step, err)) {
      case wait_result::acquired:
        return true;
      case wait_result::timed_out:
        return false;
      case wait_result::interrupted:
        break;
    }
  }
}

/// wait_toward() until `abs_time`, on the clock of that time point.
template <class Clock, class Duration, class Step>
bool wait_until(const std::chrono::time_point<Clock, Duration>& abs_time, step_clocks clocks,
                Step&& step, int& err) {
  return wait_toward<Clock>(since_epoch_saturated(abs_time), clocks, step, err);
}

/// wait_toward() for `rel_time` from now on the steady clock; zero,
/// negative or NaN: one try.
template <class Rep, class Period, class Step>
bool wait_for(const std::chrono::duration<Rep, Period>& rel_time, step_clocks clocks, Step&& step,
              int& err) {
  using namespace std::chrono;
  const nanoseconds at = rel_time > duration<Rep, Period>::zero() ? steady_deadline_after(rel_time)
                                                                 : nanoseconds::min();
  return wait_toward<steady_clock>(at, clocks, step, err);
}

}  // namespace nob::detail

#endif  // NOB_DETAIL_DEADLINE_HPP
