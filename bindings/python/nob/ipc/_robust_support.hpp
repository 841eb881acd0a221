// Glue between nob/robust_semaphore.hpp and the Cython module nob.ipc._robust:
// flat, non-throwing wrappers that Cython can call without the GIL. Compiled
// into the extension, not installed.
#ifndef NOB_PY_ROBUST_SUPPORT_HPP
#define NOB_PY_ROBUST_SUPPORT_HPP

#include <Python.h>

#include <nob/robust_semaphore.hpp>

#include "_handle.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace nob_py {

/// The end of the waits for the file-wide lock of an open that starts now
/// (NOB_ROBUST_LOCK_TIMEOUT_MS ahead), in ns of the steady clock.
inline long long robust_lock_deadline() noexcept {
  using namespace std::chrono;
  return duration_cast<nanoseconds>((steady_clock::now() +
                                     milliseconds(NOB_ROBUST_LOCK_TIMEOUT_MS)).time_since_epoch())
      .count();
}

/// Opens or creates a robust semaphore (see nob::robust_semaphore's
/// constructor; an empty `name`: create_unique()), without the GIL, waiting for the file-wide lock until
/// `deadline_ns` at most. nullptr when a signal handler ran while it waited
/// or a slice (NOB_ROBUST_SLICE_MS) of waiting passed: the caller runs the
/// pending handlers (Ctrl+C raises there; a signal handled on another thread
/// or between two tries interrupted no sleep of this one, so only this
/// return can let it be seen) and calls again with the same deadline.
inline nob::robust_semaphore* open_robust(const std::string& name, int policy,
                                          unsigned int capacity, unsigned int mode,
                                          bool same_uid, long long deadline_ns,
                                          PyObject* filename) noexcept {
  namespace r = nob::detail::robust;
  struct interruptible {
    explicit interruptible(long long ns) noexcept {
      r::lock_wait_interruptible = true;
      r::lock_wait_deadline =
          std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
    }
    ~interruptible() {
      r::lock_wait_interruptible = false;
      r::lock_wait_deadline = std::chrono::steady_clock::time_point{};
    }
  } during_open(deadline_ns);
  try {
    if (name.empty())
      return new nob::robust_semaphore(
          nob::robust_semaphore::create_unique(capacity, static_cast<mode_t>(mode)));
    return new nob::robust_semaphore(name, static_cast<nob::existence_policy>(policy), capacity,
                                     static_cast<mode_t>(mode),
                                     same_uid ? nob::owner_check::same_uid
                                              : nob::owner_check::any_owner);
  } catch (const std::system_error& e) {
    if (e.code() != std::errc::interrupted) set_current_error_anywhere(filename);
  } catch (...) {
    set_current_error_anywhere(filename);
  }
  return nullptr;
}

/// persistent(on), value(), held(), holders() and persistent() without
/// exceptions: the result, or -1 with the Python error set (filename: the name).
inline int robust_set_persistent(nob::robust_semaphore& sem, bool on, PyObject* filename) noexcept {
  return or_set_error(filename, -1, [&] {
    sem.persistent(on);
    return 0;
  });
}

inline int robust_persistent(const nob::robust_semaphore& sem, PyObject* filename) noexcept {
  return or_set_error(filename, -1, [&] { return sem.persistent() ? 1 : 0; });
}

inline long long robust_value(const nob::robust_semaphore& sem, PyObject* filename) noexcept {
  return or_set_error(filename, -1LL, [&] { return static_cast<long long>(sem.value()); });
}

inline long long robust_held(const nob::robust_semaphore& sem, PyObject* filename) noexcept {
  return or_set_error(filename, -1LL, [&] { return static_cast<long long>(sem.held()); });
}

inline int robust_holders(const nob::robust_semaphore& sem, std::vector<nob::holder>* out,
                          PyObject* filename) noexcept {
  return or_set_error(filename, -1, [&] {
    *out = sem.holders();
    return 0;
  });
}

/// One non-blocking try: 1 acquired, 0 none free, -1 error (errno in *err).
inline int robust_try(nob::robust_semaphore& sem, int* err) noexcept {
  std::error_code ec;
  const bool got = sem.try_acquire(ec);
  *err = ec.value();
  if (ec) return -1;
  return got ? 1 : 0;
}

/// One blocking step, callable without the GIL, until the sooner of
/// `deadline_ns` (LLONG_MAX = forever) and one slice (NOB_ROBUST_SLICE_MS)
/// from now: 0 acquired, 1 timed out at `deadline_ns` (or failed: *err set),
/// 2 interrupted by a signal handler (EINTR) or the slice ended first. The
/// caller runs pending signal handlers after a 2 and waits on: a signal that
/// lands while the wait is between two futex sleeps (looking for dead
/// holders) interrupts nothing, so it is seen at the end of the slice.
inline int robust_wait_step(nob::robust_semaphore& sem, long long deadline_ns, int* err) noexcept {
  using namespace std::chrono;
  const long long now = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
  const long long slice = static_cast<long long>(NOB_ROBUST_SLICE_MS) * 1000000LL;
  const bool last = deadline_ns - now <= slice;
  std::error_code ec;
  const nob::wait_result r = sem.wait_once_until(
      steady_clock::time_point(nanoseconds(last ? deadline_ns : now + slice)), ec);
  *err = ec.value();
  if (r != nob::wait_result::timed_out) return step_code(r);
  return ec || last ? 1 : 2;
}

/// release(n) without exceptions: 0, or the errno (EPERM: n is more than
/// this process holds, and nothing was given back).
inline int robust_release(nob::robust_semaphore& sem, long long n) noexcept {
  std::error_code ec;
  sem.release(static_cast<std::ptrdiff_t>(n), ec);
  return ec.value();
}

/// The address of the futex word that waiters sleep on, as an integer.
inline std::uintptr_t robust_wait_word_address(const nob::robust_semaphore& sem) noexcept {
  return reinterpret_cast<std::uintptr_t>(sem.wait_word());
}

}  // namespace nob_py

#endif  // NOB_PY_ROBUST_SUPPORT_HPP
