// Glue between nob/named_semaphore.hpp and the Cython module nob.ipc._semaphore:
// the C++-exception-to-Python translator and flat, non-throwing wrappers that
// Cython can call without the GIL. Compiled into the extension, not installed.
#ifndef NOB_PY_SEMAPHORE_SUPPORT_HPP
#define NOB_PY_SEMAPHORE_SUPPORT_HPP

#include <Python.h>

#include <nob/named_semaphore.hpp>

#include "_errors.hpp"

#include <chrono>
#include <climits>
#include <cmath>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace nob_py {

/// Opens or creates a semaphore (see nob::named_semaphore's constructor).
inline nob::named_semaphore* open_semaphore(const std::string& name, int policy,
                                            unsigned int initial_value, unsigned int mode) {
  return new nob::named_semaphore(name, static_cast<nob::existence_policy>(policy),
                                  initial_value, static_cast<mode_t>(mode));
}

/// The steady-clock deadline `seconds` from now, in ns since the clock's
/// epoch; LLONG_MAX (forever) for inf or anything too far to represent.
inline long long deadline_after(double seconds) noexcept {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  const long long now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  const double want = std::ceil(seconds * 1e9);
  if (!(want < static_cast<double>(LLONG_MAX - now_ns) - 1e9)) return LLONG_MAX;
  return now_ns + static_cast<long long>(want);
}

/// One sem_trywait: 1 acquired, 0 would block, -1 error (errno in *err).
inline int try_once(sem_t* sem, int* err) noexcept {
  *err = 0;
  return nob::detail::trywait(sem, *err);
}

/// One blocking step until `deadline_ns` (LLONG_MAX = forever), callable
/// without the GIL: 0 acquired, 1 timed out (or failed: *err set),
/// 2 interrupted by a signal handler (EINTR).
inline int wait_step(nob::named_semaphore& sem, long long deadline_ns, int* err) noexcept {
  using std::chrono::steady_clock;
  std::error_code ec;
  nob::wait_result r;
  if (deadline_ns == LLONG_MAX) {
    r = sem.wait_once(ec);
  } else {
    r = sem.wait_once_until(steady_clock::time_point(std::chrono::nanoseconds(deadline_ns)), ec);
  }
  *err = ec.value();
  switch (r) {
    case nob::wait_result::acquired:
      return 0;
    case nob::wait_result::interrupted:
      return 2;
    case nob::wait_result::timed_out:
      break;
  }
  return 1;
}

/// release(n) without exceptions: 0, or the errno (EOVERFLOW past the maximum).
inline int release_n(nob::named_semaphore& sem, long long n) noexcept {
  std::error_code ec;
  sem.release(static_cast<std::ptrdiff_t>(n), ec);
  return ec.value();
}

}  // namespace nob_py

#endif  // NOB_PY_SEMAPHORE_SUPPORT_HPP
