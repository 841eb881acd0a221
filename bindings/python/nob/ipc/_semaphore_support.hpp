// Glue between nob/named_semaphore.hpp and the Cython module nob.ipc._semaphore:
// flat, non-throwing wrappers that Cython can call without the GIL. Compiled
// into the extension, not installed.
#ifndef NOB_PY_SEMAPHORE_SUPPORT_HPP
#define NOB_PY_SEMAPHORE_SUPPORT_HPP

#include <Python.h>

#include <nob/named_semaphore.hpp>

#include "_handle.hpp"

#include <chrono>
#include <cstddef>
#include <climits>
#include <cmath>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace nob_py {

/// Opens or creates a semaphore (see nob::named_semaphore's constructor;
/// an empty `name`: create_unique()); nullptr with the Python error set
/// (filename: the name) when that fails.
inline nob::named_semaphore* open_semaphore(const std::string& name, int policy,
                                            unsigned int initial_value, unsigned int mode,
                                            bool same_uid, PyObject* filename) noexcept {
  return or_set_error(filename, static_cast<nob::named_semaphore*>(nullptr), [&] {
    if (name.empty())
      return new nob::named_semaphore(
          nob::named_semaphore::create_unique(initial_value, static_cast<mode_t>(mode)));
    return new nob::named_semaphore(
        name, static_cast<nob::existence_policy>(policy), initial_value,
        static_cast<mode_t>(mode),
        same_uid ? nob::owner_check::same_uid : nob::owner_check::any_owner);
  });
}

/// True when release(n) is one atomic add (no loop to run without the GIL).
constexpr bool atomic_release = nob::atomic_release;

/// value() without exceptions: the value, or -1 with *err set.
inline int value_of(const nob::named_semaphore& sem, int* err) noexcept {
  std::error_code ec;
  const int v = sem.value(ec);
  *err = ec.value();
  return v;
}

/// One sem_trywait: 1 acquired, 0 would block, -1 error (errno in *err).
inline int try_once(sem_t* sem, int* err) noexcept {
  *err = 0;
  return nob::detail::trywait(sem, *err);
}

/// One blocking step until `deadline_ns` (LLONG_MAX = forever), callable
/// without the GIL: 0 acquired, 1 timed out (or failed: *err set),
/// 2 interrupted by a signal handler (EINTR).
inline int wait_step(nob::named_semaphore& sem, long long deadline_ns, int* err) {
  using std::chrono::steady_clock;
  std::error_code ec;
  nob::wait_result r;
  if (deadline_ns == LLONG_MAX) {
    r = sem.wait_once(ec);
  } else {
    r = sem.wait_once_until(steady_clock::time_point(std::chrono::nanoseconds(deadline_ns)), ec);
  }
  *err = ec.value();
  return step_code(r);
}

/// release(n) without exceptions: 0, or the errno (EOVERFLOW past the maximum).
inline int release_n(nob::named_semaphore& sem, long long n) noexcept {
  std::error_code ec;
  sem.release(static_cast<std::ptrdiff_t>(n), ec);
  return ec.value();
}

}  // namespace nob_py

#endif  // NOB_PY_SEMAPHORE_SUPPORT_HPP
