///
// nob - the wait step of the POSIX semaphore (implementation detail)
//
// named_semaphore.hpp's wait step for the deadline engine (deadline.hpp):
// one blocking wait on a sem_t towards a deadline on CLOCK_MONOTONIC or
// CLOCK_REALTIME, on the path the configuration macros chose
// (NOB_USE_SEM_CLOCKWAIT, NOB_USE_SEM_TIMEDWAIT, NOB_POLL_MAX_SLEEP_US,
// defined by named_semaphore.hpp before it includes this file).
///

#ifndef NOB_DETAIL_SEM_WAIT_HPP
#define NOB_DETAIL_SEM_WAIT_HPP

#include <nob/detail/deadline.hpp>

#include <semaphore.h>
#include <time.h>

#include <cerrno>
#include <chrono>

#if !defined(NOB_USE_SEM_CLOCKWAIT) || !defined(NOB_USE_SEM_TIMEDWAIT) || \
    !defined(NOB_POLL_MAX_SLEEP_US)
#error "nob/detail/sem_wait.hpp is included by nob/named_semaphore.hpp, after its configuration"
#endif

namespace nob::detail {

/// One sem_trywait: 1 acquired, 0 would block, -1 error (errno kept in err).
inline int trywait(sem_t* sem, int& err) noexcept {
  while (::sem_trywait(sem) != 0) {
    if (errno == EAGAIN) return 0;
    if (errno == EINTR) continue;
    err = errno;
    return -1;
  }
  return 1;
}

/// The polling fallback's next sleep after `ns`: doubling, and exactly
/// NOB_POLL_MAX_SLEEP_US once it would pass it.
inline long long poll_next_sleep_ns(long long ns) noexcept {
  constexpr long long cap = static_cast<long long>(NOB_POLL_MAX_SLEEP_US) * 1000LL;
  static_assert(cap >= 1000, "NOB_POLL_MAX_SLEEP_US must be at least 1");
  return ns >= cap / 2 ? cap : ns * 2;
}

/// A relative sleep of `ns` (>= 0) as a valid timespec (tv_nsec < 1e9).
inline timespec relative_timespec(long long ns) noexcept {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ns / 1000000000LL);
  ts.tv_nsec = static_cast<long>(ns % 1000000000LL);
  return ts;
}

/// The end of a wait whose deadline has passed: one sem_trywait, so a unit
/// that is there is taken, as sem_clockwait does with a past deadline.
inline wait_result last_try(sem_t* sem, int& err) noexcept {
  err = 0;
  const int r = trywait(sem, err);
  return r > 0 ? wait_result::acquired : wait_result::timed_out;
}

/// The wait step (see deadline.hpp): one blocking wait until `deadline` on
/// `clock` (CLOCK_MONOTONIC or CLOCK_REALTIME; nanoseconds::max() =
/// forever). Returns on EINTR, and where it waits in slices also after each
/// slice, as `interrupted`. Never reports timed_out before `clock` has
/// reached `deadline`. Not noexcept: sem_wait and friends are cancellation
/// points.
inline wait_result wait_step(sem_t* sem, clockid_t clock, std::chrono::nanoseconds deadline,
                             int& err) {
  err = 0;
#if NOB_USE_SEM_TIMEDWAIT
  if (is_forever(deadline)) {
    if (::sem_wait(sem) == 0) return wait_result::acquired;
    if (errno == EINTR) return wait_result::interrupted;
    err = errno;
    return wait_result::timed_out;
  }
#if NOB_USE_SEM_CLOCKWAIT
  const timespec abs = to_timespec(deadline);
  if (::sem_clockwait(sem, clock, &abs) == 0) return wait_result::acquired;
  if (errno == EINTR) return wait_result::interrupted;
  if (errno == ETIMEDOUT) {
    // A deadline past what time_t holds was clamped: time is not up yet.
    if (now_on(clock) < deadline) return wait_result::interrupted;
    return wait_result::timed_out;
  }
  err = errno;
  return wait_result::timed_out;
#else
  // sem_timedwait only knows CLOCK_REALTIME: one slice (realtime_slice_end),
  // then the deadline's own clock decides. A slice that ends before the
  // deadline ends the step as `interrupted`: a signal that came just as the
  // slice timed out (ETIMEDOUT, not EINTR) then still reaches a caller that
  // runs signal handlers between steps.
  const std::chrono::nanoseconds now = now_on(clock);
  if (now >= deadline) return last_try(sem, err);
  const timespec abs = realtime_slice_end(clock, deadline, now);
  if (::sem_timedwait(sem, &abs) == 0) return wait_result::acquired;
  if (errno == EINTR) return wait_result::interrupted;
  if (errno != ETIMEDOUT) {
    err = errno;
    return wait_result::timed_out;
  }
  if (now_on(clock) >= deadline) return last_try(sem, err);
  return wait_result::interrupted;
#endif
#else
  // No timed wait at all: poll with a backoff from 1 us to NOB_POLL_MAX_SLEEP_US.
  long long sleep_ns = 1000;
  for (;;) {
    int r = trywait(sem, err);
    if (r != 0) return r > 0 ? wait_result::acquired : wait_result::timed_out;
    long long nap = sleep_ns;
    if (!is_forever(deadline)) {
      const std::chrono::nanoseconds now = now_on(clock);
      if (now >= deadline) return wait_result::timed_out;
      if (deadline - now < std::chrono::nanoseconds(nap))
        nap = static_cast<long long>((deadline - now).count());
    }
    const timespec ts = relative_timespec(nap);
    if (::nanosleep(&ts, nullptr) != 0 && errno == EINTR) return wait_result::interrupted;
    sleep_ns = poll_next_sleep_ns(sleep_ns);
  }
#endif
}

}  // namespace nob::detail

#endif  // NOB_DETAIL_SEM_WAIT_HPP
