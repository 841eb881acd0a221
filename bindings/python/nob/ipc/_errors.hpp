// The one path from an error to Python for every nob.ipc extension module:
// an errno (from a call that reports it) or a C++ exception of a header
// becomes the same Python exception, with the same text for every kind.
// Compiled into each extension, not installed.
//
//   OSError subclass that errno selects (FileExistsError, ...), with
//     errno     the errno
//     strerror  "nob: <step>[ (<reason>)]: <strerror(errno)>", the header's
//               own words (e.g. "nob: open (not a valid semaphore file)")
//     filename  the object's name, "/jobs" (str(e) ends in ": '/jobs'")
//   std::invalid_argument -> ValueError, std::bad_alloc -> MemoryError,
//   anything else -> RuntimeError.
#ifndef NOB_PY_ERRORS_HPP
#define NOB_PY_ERRORS_HPP

#include <Python.h>

#include <nob/common.hpp>

#include <climits>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace nob_py {

/// A deadline that never comes (ns of the steady clock).
constexpr long long forever = LLONG_MAX;

/// Sets the OSError for `err`: of class `type`, or (nullptr) the subclass
/// that `err` selects; `what` is "nob: <step>[ (<reason>)]" without the
/// name, `filename` the name (or nullptr). Returns -1, for Cython's
/// `except -1`.
inline int set_oserror(PyObject* type, int err, const std::string& what, PyObject* filename) {
  const std::string text = what + ": " + std::generic_category().message(err);
  PyObject* exc = PyObject_CallFunction(type != nullptr ? type : PyExc_OSError, "isO", err,
                                        text.c_str(), filename != nullptr ? filename : Py_None);
  if (exc != nullptr) {
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc)), exc);
    Py_DECREF(exc);
  }
  return -1;
}

/// set_oserror() for a step of this binding: "nob: <step>".
inline int raise_oserror(PyObject* type, int err, const char* step, PyObject* filename) {
  return set_oserror(type, err, std::string("nob: ") + step, filename);
}

/// The C++ exception being handled as the Python exception (see the top).
/// A std::system_error's what() is "nob: <step> <name>[ (<reason>)]:
/// <strerror>": the name (the filename) and the strerror come out of the
/// text, so that str() of every OSError reads the same.
inline void set_current_error(PyObject* filename) noexcept {
  try {
    throw;
  } catch (const std::system_error& e) {
    std::string what = e.what();
    const std::string tail = ": " + e.code().message();
    if (what.size() >= tail.size() && what.compare(what.size() - tail.size(), tail.size(), tail) == 0) {
      what.resize(what.size() - tail.size());
    }
    const char* name = filename != nullptr && PyUnicode_Check(filename)
                           ? PyUnicode_AsUTF8(filename) : nullptr;
    if (name == nullptr) PyErr_Clear();
    if (name != nullptr && *name != '\0') {
      const std::string::size_type at = what.find(std::string(" ") + name);
      if (at != std::string::npos) what.erase(at, std::char_traits<char>::length(name) + 1);
    }
    set_oserror(nullptr, e.code().value(), what, filename);
  } catch (const std::invalid_argument& e) {
    PyErr_SetString(PyExc_ValueError, e.what());
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "nob: unknown C++ exception");
  }
}

/// Cython `except +translate_error`, for calls with no name to give (name
/// rules: ValueError).
inline void translate_error() { set_current_error(nullptr); }

/// set_current_error() from a thread that may not hold the GIL (it takes it).
inline void set_current_error_anywhere(PyObject* filename) noexcept {
  const PyGILState_STATE gil = PyGILState_Ensure();
  set_current_error(filename);
  PyGILState_Release(gil);
}

/// Runs `f()` and gives its result; what it throws becomes the Python
/// exception (set_current_error(filename)) and `failed` is given instead.
/// Callable with or without the GIL.
template <class R, class F>
R or_set_error(PyObject* filename, R failed, F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    set_current_error_anywhere(filename);
    return failed;
  }
}

/// T::remove(name) / T::exists(name): 1 or 0, or -1 with the error set.
template <class T>
int remove_by_name(const std::string& name, PyObject* filename) noexcept {
  return or_set_error(filename, -1, [&] { return T::remove(name) ? 1 : 0; });
}

template <class T>
int exists_by_name(const std::string& name, PyObject* filename) noexcept {
  return or_set_error(filename, -1, [&] { return T::exists(name) ? 1 : 0; });
}

/// A low-level wait step's outcome as the bindings' wait loops read it:
/// 0 acquired (or a message moved), 1 timed out (or failed), 2 interrupted.
inline int step_code(nob::wait_result r) noexcept {
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

}  // namespace nob_py

#endif  // NOB_PY_ERRORS_HPP
