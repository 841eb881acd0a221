// The C++-exception-to-Python translator and the wait-step code shared by every nob.ipc extension
// module (Cython `except +translate_error`). Compiled into each extension,
// not installed.
#ifndef NOB_PY_ERRORS_HPP
#define NOB_PY_ERRORS_HPP

#include <Python.h>

#include <nob/common.hpp>

#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace nob_py {

/// Cython `except +translate_error`: std::system_error -> the OSError subclass
/// that its errno selects, with what() as its text (filename is set by the caller), invalid_argument ->
/// ValueError, bad_alloc -> MemoryError, anything else -> RuntimeError.
inline void translate_error() {
  try {
    throw;
  } catch (const std::system_error& e) {
    // what() is "nob: <step> <name>: <strerror>": it keeps the reason the
    // header gives (e.g. "open (not a valid semaphore file)").
    const std::string msg = e.what();
    PyObject* exc = PyObject_CallFunction(PyExc_OSError, "is", e.code().value(), msg.c_str());
    if (exc != nullptr) {
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc)), exc);
      Py_DECREF(exc);
    }
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
