// The C++-exception-to-Python translator shared by every nob.ipc extension
// module (Cython `except +translate_error`). Compiled into each extension,
// not installed.
#ifndef NOB_PY_ERRORS_HPP
#define NOB_PY_ERRORS_HPP

#include <Python.h>

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

}  // namespace nob_py

#endif  // NOB_PY_ERRORS_HPP
