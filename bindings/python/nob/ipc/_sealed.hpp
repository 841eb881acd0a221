// C types of nob.ipc that Python code may reach but must never make. Such
// an object made from Python (T(), T.__new__(T), object.__new__(T), a
// subclass, copy or pickle) would carry NULL or made-up fields, and the
// first use crashes. Compiled into each extension, not installed.
#ifndef NOB_PY_SEALED_HPP
#define NOB_PY_SEALED_HPP

#include <Python.h>

namespace nob_py {

namespace detail {

/// No instance of `type` from Python: tp_new goes (and the type's vectorcall,
/// which Cython sets to make one without it), with the __new__ wrapper that
/// PyType_Ready put into its dict (it would call the old tp_new). C code
/// that fills every field still makes instances with the type's own
/// allocator (a Cython `T.__new__(T)` calls the generated function directly).
inline int refuse_new(PyTypeObject* type) {
  type->tp_new = nullptr;
  type->tp_vectorcall = nullptr;
#ifdef Py_TPFLAGS_DISALLOW_INSTANTIATION
  type->tp_flags |= Py_TPFLAGS_DISALLOW_INSTANTIATION;
#endif
  PyObject* dict = type->tp_dict;
  if (dict != nullptr && PyDict_GetItemString(dict, "__new__") != nullptr &&
      PyDict_DelItemString(dict, "__new__") != 0) {
    return -1;
  }
  PyType_Modified(type);
  return 0;
}

}  // namespace detail

/// Makes our type `t` refuse every way Python makes an instance or a
/// subclass (T(), T.__new__(T), object.__new__(T), copy and pickle all end
/// in tp_new; a class statement needs Py_TPFLAGS_BASETYPE). 0, or -1 with an
/// exception set.
inline int seal_type(PyObject* t) {
  if (!PyType_Check(t)) {
    PyErr_SetString(PyExc_TypeError, "seal_type() needs a type");
    return -1;
  }
  auto* type = reinterpret_cast<PyTypeObject*>(t);
  type->tp_flags &= ~Py_TPFLAGS_BASETYPE;
  return detail::refuse_new(type);
}

/// The same for Cython's shared type of `obj` (coroutine,
/// cython_function_or_method), which every Cython module of this Cython
/// version in the process shares: on Python 3.9 it inherits object's tp_new
/// (`object.__new__(type(coro))` made a coroutine of NULL fields); on 3.10+
/// its metatype has no tp_new, and CPython before gh-151912 calls a
/// metaclass's tp_new unchecked when a class names such a type as its base
/// (`class S(type(coro))` crashed). The type loses its tp_new; subclassing
/// stays (Cython derives its fused functions from cython_function_or_method)
/// and a subclass inherits the refusal. The metatype gets type's own tp_new:
/// a class statement then refuses a final base as usual, and it is the only
/// custom tp_new that PyType_FromMetaclass (3.12+) accepts when Cython makes
/// its next shared type with this metatype.
inline int seal_cython_type_of(PyObject* obj) {
  PyTypeObject* type = Py_TYPE(obj);
  PyTypeObject* meta = Py_TYPE(reinterpret_cast<PyObject*>(type));
  if (meta != &PyType_Type && meta->tp_new == nullptr) {
    meta->tp_new = PyType_Type.tp_new;
    PyType_Modified(meta);
  }
  return detail::refuse_new(type);
}

}  // namespace nob_py

#endif  // NOB_PY_SEALED_HPP
