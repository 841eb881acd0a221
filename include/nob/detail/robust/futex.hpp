///
// nob - robust semaphore: the wait word (implementation detail)
//
// header::wait_word: its low 32 bits a futex word that changes whenever a
// unit is freed while somebody waits, its high 32 bits the number of
// registered waiters. Sleeping on it (bounded, robust against spurious
// wake-ups anyone who can read the file may send) and waking its sleepers.
///

#ifndef NOB_DETAIL_ROBUST_FUTEX_HPP
#define NOB_DETAIL_ROBUST_FUTEX_HPP

#include <nob/detail/deadline.hpp>
#include <nob/detail/robust/layout.hpp>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>

namespace nob::detail::robust {

/// The futex half (low 32 bits) of the wait word.
inline std::uint32_t* futex_half(std::atomic<std::uint64_t>* w) noexcept {
  char* p = reinterpret_cast<char*>(w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  p += 4;
#endif
  return reinterpret_cast<std::uint32_t*>(p);
}

/// Sleeps while the futex half still reads `seen`, at most `rel`. 0, or errno
/// (ETIMEDOUT, EAGAIN when it had changed, EINTR).
inline int futex_wait(std::atomic<std::uint64_t>* w, std::uint32_t seen,
                      std::chrono::nanoseconds rel) noexcept {
  timespec ts = to_timespec(rel);
#if !defined(__x86_64__) && !defined(__aarch64__)
  // A 32-bit ABI built with a 64-bit time_t (_TIME_BITS=64, i386-t64): the
  // futex system call still reads the old 32-bit timespec, which would take
  // the 64-bit one's high half of seconds for the nanoseconds (a zero timeout:
  // the wait spun, and no signal ever ended it). Give it the old layout.
  if constexpr (sizeof(ts.tv_sec) > sizeof(long)) {
    struct {
      long tv_sec;
      long tv_nsec;
    } old{ts.tv_sec > LONG_MAX ? LONG_MAX : static_cast<long>(ts.tv_sec), static_cast<long>(ts.tv_nsec)};
    if (::syscall(SYS_futex, futex_half(w), FUTEX_WAIT, seen, &old, nullptr, 0) == 0) return 0;
    return errno;
  }
#endif
  if (::syscall(SYS_futex, futex_half(w), FUTEX_WAIT, seen, &ts, nullptr, 0) == 0) return 0;
  return errno;
}

/// Wake-ups in one sleep that find the futex word unchanged (FUTEX_WAKE
/// calls that are not nob's) before the rest of the sleep polls instead.
inline constexpr int spurious_limit = 8;

/// Sleeps until the futex half of `w` is no longer `seen` (a unit was freed
/// since), at most `rel`: 0 when it changed, ETIMEDOUT, EINTR (a signal
/// handler ran), or another errno of futex. Only processes that may write
/// the file change the word, but anyone who may read it can map it and send
/// FUTEX_WAKE: a wake-up that finds the word unchanged costs one load and
/// sleeps on (never a look at the slots), and after spurious_limit of them
/// the rest of the sleep polls the word once a millisecond (nanosleep, which
/// no FUTEX_WAKE ends), so a storm of them costs a waiter at most about a
/// thousand cheap wake-ups a second, and a real change is seen within 1 ms.
inline int sleep_for_change(std::atomic<std::uint64_t>* w, std::uint32_t seen,
                            std::chrono::nanoseconds rel) noexcept {
  using namespace std::chrono;
  const auto end = steady_clock::now() + rel;
  for (int spurious = 0;; ++spurious) {
    if (spurious < spurious_limit) {
      const int rc = futex_wait(w, seen, rel);
      if (rc == EAGAIN) return 0;  // it had changed before the sleep
      if (rc != 0) return rc;
    } else {
      const timespec ts = to_timespec(rel < milliseconds(1) ? rel : nanoseconds(milliseconds(1)));
      if (::nanosleep(&ts, nullptr) != 0 && errno == EINTR) return EINTR;
    }
    if (static_cast<std::uint32_t>(w->load(std::memory_order_seq_cst)) != seen) return 0;
    rel = duration_cast<nanoseconds>(end - steady_clock::now());
    if (rel <= nanoseconds(0)) return ETIMEDOUT;
  }
}

/// wake_waiters() when somebody waits (`w`: the wait word it read), out of
/// line so that a release nobody waits for stays small enough to inline.
[[gnu::noinline]] inline void wake_registered(header* h, std::uint64_t w) noexcept {
  while (!h->wait_word.compare_exchange_weak(
      w, (w & ~std::uint64_t(0xffffffffu)) | std::uint32_t(w + 1), std::memory_order_seq_cst)) {
  }
  ::syscall(SYS_futex, futex_half(&h->wait_word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

/// After units were freed: when anybody is registered as a waiter, changes
/// the futex half (without touching the high half) and wakes every sleeper.
inline void wake_waiters(header* h) noexcept {
  const std::uint64_t w = h->wait_word.load(std::memory_order_seq_cst);
  if ((w >> 32) != 0) wake_registered(h, w);
}

}  // namespace nob::detail::robust

#endif  // NOB_DETAIL_ROBUST_FUTEX_HPP
