///
// nob - the one error path of the C++ headers (implementation detail)
//
// Every failure of every kind becomes one of two things, built here:
//   * std::invalid_argument for a bad argument, found before any system call;
//   * std::system_error in the generic category, errno as its code and
//     "nob: <call> <name>" as its text.
// Without exceptions (-fno-exceptions) a call that would throw prints the
// text and aborts; the non-throwing members (open(..., std::error_code&),
// the *_once* steps, ...) report through a std::error_code instead.
///

#ifndef NOB_DETAIL_ERRORS_HPP
#define NOB_DETAIL_ERRORS_HPP

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

/// 1 when the compiler has C++ exceptions on. Without them (-fno-exceptions)
/// the non-throwing members still work; a call that would throw prints the
/// error and aborts instead.
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define NOB_EXCEPTIONS 1
#else
#define NOB_EXCEPTIONS 0
#endif

namespace nob::detail {

/// Throws `e`; without exceptions, prints its what() and aborts.
template <class E>
[[noreturn]] void throw_or_abort(const E& e) {
#if NOB_EXCEPTIONS
  throw e;
#else
  std::fprintf(stderr, "%s\n", e.what());
  std::abort();
#endif
}

/// "nob: <why> for <name>": the text of every argument error.
inline std::string invalid_text(const char* why, const std::string& name) {
  return std::string("nob: ") + why + " for " + name;
}

/// std::invalid_argument("nob: <why> for <name>"): the one form of every
/// argument error.
[[noreturn]] inline void throw_invalid(const char* why, const std::string& name) {
  throw_or_abort(std::invalid_argument(invalid_text(why, name)));
}

/// std::system_error(err, generic_category(), what).
[[noreturn]] inline void throw_system(int err, const std::string& what) {
  throw_or_abort(std::system_error(err, std::generic_category(), what));
}

/// "nob: <what> <name>", the text of every system error of a handle.
inline std::string errno_text(int err, const char* what, const std::string& name, bool closed) {
  std::string msg = "nob: ";
  msg += what;
  msg += ' ';
  msg += name.empty() ? std::string("(closed handle)") : name;
  if (err == EBADF && closed) msg += " (the handle is closed)";
  return msg;
}

/// std::system_error(err, ..., errno_text(err, what, name, closed)).
[[noreturn]] inline void throw_errno_for(int err, const char* what, const std::string& name,
                                         bool closed) {
  throw_system(err, errno_text(err, what, name, closed));
}

/// A failure found by code that reports instead of throwing (an open
/// engine that must also serve open(..., std::error_code&)): the errno and
/// the text of the exception the throwing member raises for it, so that
/// both members report it the same way. `err` 0: no failure.
struct failure {
  int err = 0;
  bool invalid = false;  ///< a bad argument: std::invalid_argument (err is EINVAL)
  std::string what;      ///< the exception's text

  /// An argument error: invalid_text(why, name).
  static failure argument(const std::string& why, const std::string& name) {
    return failure{EINVAL, true, invalid_text(why.c_str(), name)};
  }
  /// A system error with its full text ("nob: ...").
  static failure system(int err, std::string what) {
    return failure{err, false, std::move(what)};
  }
  /// A system error of a call on `name`: errno_text(err, what, name, closed).
  static failure of_errno(int err, const char* what, const std::string& name, bool closed) {
    return failure{err, false, errno_text(err, what, name, closed)};
  }

  explicit operator bool() const noexcept { return err != 0; }
  /// As a non-throwing member reports it: invalid_argument, else the errno.
  std::error_code code() const noexcept {
    if (invalid) return std::make_error_code(std::errc::invalid_argument);
    return std::error_code(err, std::generic_category());
  }
  /// As a throwing member reports it (prints and aborts without exceptions).
  [[noreturn]] void raise() const {
    if (invalid) throw_or_abort(std::invalid_argument(what));
    throw_system(err, what);
  }
};

/// 0 when a call succeeded (`ok`), else its errno.
inline int errno_unless(bool ok) noexcept { return ok ? 0 : errno; }

/// `ec` set to errno value `err` in the generic category (cleared for 0).
inline void set_error(std::error_code& ec, int err) noexcept {
  if (err == 0)
    ec.clear();
  else
    ec.assign(err, std::generic_category());
}

}  // namespace nob::detail

#endif  // NOB_DETAIL_ERRORS_HPP
