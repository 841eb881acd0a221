// What the Python handle base (nob.ipc._handle.Handle) needs of a C++ handle
// of any kind, as a table of plain functions: the base keeps a void* to the
// object and never knows its type. Compiled into the extensions, not
// installed.
#ifndef NOB_PY_HANDLE_HPP
#define NOB_PY_HANDLE_HPP

#include <Python.h>

#include <nob/detail/deadline.hpp>

#include "_errors.hpp"

#include <chrono>
#include <type_traits>
#include <utility>

namespace nob_py {

/// The steady-clock deadline `seconds` from now, in ns since the clock's
/// epoch; `forever` for inf or anything too far to represent.
inline long long deadline_after(double seconds) noexcept {
  return nob::detail::steady_deadline_after(std::chrono::duration<double>(seconds)).count();
}

struct handle_ops {
  /// delete: closes, and unlinks under the contract's rules (may wait: the
  /// base calls it without the GIL).
  void (*free)(void* obj) noexcept;
  /// close() while calls are in flight: the unlink close() owes, done now
  /// (the object itself lives on until the last call ends); may be null.
  void (*unlink_owned)(void* obj) noexcept;
  /// unlink_on_destroy(bool); null for a kind without it (robust).
  void (*set_unlink_on_destroy)(void* obj, bool on) noexcept;
  /// unlink(): 0, or -1 with the Python error set (filename = the name).
  int (*unlink)(void* obj, PyObject* filename) noexcept;
};

namespace detail {

template <class T, class = void>
struct has_unlink_if_owned : std::false_type {};
template <class T>
struct has_unlink_if_owned<T, std::void_t<decltype(std::declval<T&>().unlink_if_owned())>>
    : std::true_type {};

template <class T, class = void>
struct has_unlink_on_destroy : std::false_type {};
template <class T>
struct has_unlink_on_destroy<T, std::void_t<decltype(std::declval<T&>().unlink_on_destroy(true))>>
    : std::true_type {};

template <class T>
void free_object(void* obj) noexcept {
  delete static_cast<T*>(obj);
}

using unlink_owned_fn = void (*)(void*) noexcept;
using set_unlink_fn = void (*)(void*, bool) noexcept;

template <class T>
unlink_owned_fn unlink_owned() noexcept {
  if constexpr (has_unlink_if_owned<T>::value) {
    return [](void* obj) noexcept { static_cast<T*>(obj)->unlink_if_owned(); };
  } else {
    return nullptr;
  }
}

template <class T>
set_unlink_fn set_unlink_on_destroy() noexcept {
  if constexpr (has_unlink_on_destroy<T>::value) {
    return [](void* obj, bool on) noexcept { static_cast<T*>(obj)->unlink_on_destroy(on); };
  } else {
    return nullptr;
  }
}

template <class T>
int unlink_object(void* obj, PyObject* filename) noexcept {
  return or_set_error(filename, -1, [&] {
    static_cast<T*>(obj)->unlink();
    return 0;
  });
}

}  // namespace detail

/// The table for the C++ handle type T.
template <class T>
const handle_ops* ops_of() noexcept {
  static const handle_ops ops = {
      &detail::free_object<T>,
      detail::unlink_owned<T>(),
      detail::set_unlink_on_destroy<T>(),
      &detail::unlink_object<T>,
  };
  return &ops;
}

}  // namespace nob_py

#endif  // NOB_PY_HANDLE_HPP
