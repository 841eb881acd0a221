///
// nob - robust semaphore: the wait step (implementation detail)
//
// One blocking step of acquire(): try, register as a waiter in the wait
// word, try again, sleep one slice (NOB_ROBUST_SLICE_MS) or until a unit is
// freed, and between slices free dead holders' units and drop dead waiters.
///

#ifndef NOB_DETAIL_ROBUST_WAIT_HPP
#define NOB_DETAIL_ROBUST_WAIT_HPP

#include <nob/common.hpp>
#include <nob/detail/deadline.hpp>
#include <nob/detail/robust/config.hpp>
#include <nob/detail/robust/futex.hpp>
#include <nob/detail/robust/layout.hpp>
#include <nob/detail/robust/liveness.hpp>
#include <nob/detail/robust/table.hpp>
#include <nob/detail/robust/units.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>

namespace nob::detail::robust {

/// The time from `now` to `deadline` (both saturated ns since one clock's
/// epoch), 0 when it has passed; never overflows. (The one place that
/// subtracts two time points here: the shared deadline engine replaces it.)
inline std::chrono::nanoseconds time_between(std::chrono::nanoseconds now,
                                             std::chrono::nanoseconds deadline) noexcept {
  using std::chrono::nanoseconds;
  if (deadline <= now) return nanoseconds(0);
  if (now < nanoseconds(0) && deadline > nanoseconds::max() + now) return nanoseconds::max();
  return deadline - now;
}

/// One blocking wait step of the handle on `f` towards `deadline` (steady
/// clock, saturated ns since its epoch; nanoseconds::max(): none): acquired,
/// interrupted (a signal handler ran), or timed_out (with `err` set when it
/// was an error instead).
inline wait_result wait_step(file& f, std::chrono::nanoseconds deadline, int& err) noexcept {
  // Try; else register as a waiter, try again (a unit freed before the
  // registration was seen is found here; one freed after it changes the
  // futex word), and sleep one slice. Dead holders' units are looked for
  // (a few fcntl calls) only when a slice ended without a wake-up or no
  // thread of this process has looked for a slice (a schedule kept in the
  // file record, so that signals, which end a step, cannot starve it), and
  // always before reporting a timeout: a hand-over between live processes
  // costs no extra system call. Never reports timed_out before `deadline`.
  namespace r = nob::detail::robust;
  using namespace std::chrono;
  err = 0;
  const nanoseconds slice = milliseconds(NOB_ROBUST_SLICE_MS);
  bool look_for_dead = r::look_due(f);
  for (;;) {
    const int got = r::take(f, look_for_dead, err);
    if (got != 0) return got > 0 ? wait_result::acquired : wait_result::timed_out;
    nanoseconds nap = slice;
    if (!detail::is_forever(deadline)) {
      const nanoseconds left = detail::steady_left(deadline);
      if (left <= nanoseconds(0)) {
        if (look_for_dead) return wait_result::timed_out;
        look_for_dead = true;  // one last try, dead holders included
        continue;
      }
      if (left < nap) nap = left;
    }
    // registered in the word first, in the entry second; the other way
    // round after: a kill between the two leaves the word one too high
    // (extra wake calls), never the entry above the word
    std::atomic<std::uint32_t>& mine = f.users[f.index].waiters;
    const std::uint64_t w = f.head->wait_word.fetch_add(r::one_waiter) + r::one_waiter;
    mine.fetch_add(1, std::memory_order_relaxed);
    if (r::take_free(f)) {
      mine.fetch_sub(1, std::memory_order_relaxed);
      f.head->wait_word.fetch_sub(r::one_waiter);
      return wait_result::acquired;
    }
    NOB_ROBUST_STEP("wait.registered");
    const int rc = r::sleep_for_change(&f.head->wait_word, static_cast<std::uint32_t>(w), nap);
    mine.fetch_sub(1, std::memory_order_relaxed);
    f.head->wait_word.fetch_sub(r::one_waiter);
    if (rc == EINTR) return wait_result::interrupted;
    if (rc != 0 && rc != ETIMEDOUT) {
      err = rc;
      return wait_result::timed_out;
    }
    look_for_dead = rc == ETIMEDOUT || r::look_due(f);
    if (look_for_dead) r::drop_dead_waiters_if_free(f);
  }
}

}  // namespace nob::detail::robust

#endif  // NOB_DETAIL_ROBUST_WAIT_HPP
