// The with-statement's __enter__ / __exit__ for the semaphores (both kinds),
// made once in nob.ipc._handle and given to the kinds through its .pxd.
// Compiled into _handle only, not installed.
//
// CPython looks both up on every `with` and makes a bound-method object for
// each; for a semaphore that allocation and the generic call cost more than
// taking a unit. A with_slot descriptor in the class gives instead a
// with_bound: a tiny object from a free list, called through vectorcall,
// that holds a STRONG reference to its semaphore for exactly as long as it
// is alive (as a bound method does): `with NamedSemaphore(...):` keeps a
// temporary alive until __exit__, a mere lookup (hasattr,
// inspect.getmembers) holds nothing once dropped, and the semaphore never
// refers to it (no cycle: `del sem` closes at once). Both types take part
// in the cyclic GC as bound methods do (an instance that keeps its own
// __enter__ is collected), and Python can reach them but never make one
// (_sealed.hpp). Everything here runs with the GIL held.
#ifndef NOB_PY_WITH_HPP
#define NOB_PY_WITH_HPP

#include <Python.h>
#include <structmember.h>

#include "_sealed.hpp"

#include <cstddef>

namespace nob_py {

/// A kind's enter or exit (a Cython cdef function): new reference or NULL.
using with_fn = PyObject* (*)(PyObject* sem);

struct with_slot {
  PyObject_HEAD
  PyObject* unbound;    ///< what the class attribute gives (strong)
  PyObject* owner;      ///< the class whose instances it binds (strong; null until bound)
  with_fn fn;           ///< null until bound
  int is_exit;
};

struct with_bound {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  PyObject* sem;  ///< strong; null once cleared by the GC
  with_fn fn;
  int is_exit;
};

struct with_state {
  PyTypeObject* bound_type = nullptr;
  PyTypeObject* slot_type = nullptr;
  PyObject* free_list[16] = {};
  int free_count = 0;
};

inline with_state& with_globals() {
  static with_state state;
  return state;
}

inline const char* with_name(int is_exit) { return is_exit ? "__exit__" : "__enter__"; }

inline PyObject* with_bound_call(PyObject* self, PyObject* const* args, size_t nargsf,
                                 PyObject* kwnames) {
  (void)args;
  auto* b = reinterpret_cast<with_bound*>(self);
  const Py_ssize_t n = PyVectorcall_NARGS(nargsf);
  if ((kwnames != nullptr && PyTuple_GET_SIZE(kwnames) != 0) || n != (b->is_exit ? 3 : 0)) {
    PyErr_Format(PyExc_TypeError, b->is_exit ? "__exit__() takes 3 positional arguments"
                                             : "__enter__() takes no arguments");
    return nullptr;
  }
  if (b->sem == nullptr) {  // cleared by the GC (a cycle being freed)
    PyErr_SetString(PyExc_ReferenceError, "the semaphore of this with-method is gone");
    return nullptr;
  }
  return b->fn(b->sem);
}

inline int with_bound_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(reinterpret_cast<with_bound*>(self)->sem);
  Py_VISIT(Py_TYPE(self));
  return 0;
}

inline int with_bound_clear(PyObject* self) {
  Py_CLEAR(reinterpret_cast<with_bound*>(self)->sem);
  return 0;
}

inline void with_bound_dealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  Py_CLEAR(reinterpret_cast<with_bound*>(self)->sem);
  with_state& g = with_globals();
  if (g.free_count < 16) {
    g.free_list[g.free_count++] = self;  // untracked; keeps its reference to the type
    return;
  }
  PyObject_GC_Del(self);
  Py_DECREF(type);
}

inline PyObject* with_bound_repr(PyObject* self) {
  auto* b = reinterpret_cast<with_bound*>(self);
  if (b->sem == nullptr) {
    return PyUnicode_FromFormat("<bound method %s of nothing>", with_name(b->is_exit));
  }
  return PyUnicode_FromFormat("<bound method %s.%s of %R>", Py_TYPE(b->sem)->tp_name,
                              with_name(b->is_exit), b->sem);
}

inline PyObject* with_bound_self(PyObject* self, void*) {
  PyObject* sem = reinterpret_cast<with_bound*>(self)->sem;
  if (sem == nullptr) Py_RETURN_NONE;
  Py_INCREF(sem);
  return sem;
}

inline PyObject* with_bound_name(PyObject* self, void*) {
  return PyUnicode_FromString(with_name(reinterpret_cast<with_bound*>(self)->is_exit));
}

inline PyObject* with_slot_get(PyObject* self, PyObject* obj, PyObject* type) {
  (void)type;
  auto* slot = reinterpret_cast<with_slot*>(self);
  with_state& g = with_globals();
  if (obj == nullptr || obj == Py_None) {
    if (slot->unbound == nullptr) {  // cleared by the GC (the class being freed)
      PyErr_SetString(PyExc_ReferenceError, "this with-slot's function is gone");
      return nullptr;
    }
    Py_INCREF(slot->unbound);
    return slot->unbound;
  }
  if (slot->owner == nullptr || slot->fn == nullptr ||
      !PyObject_TypeCheck(obj, reinterpret_cast<PyTypeObject*>(slot->owner))) {
    PyErr_Format(PyExc_TypeError, "descriptor '%s' for '%s' objects doesn't apply to a '%s' object",
                 with_name(slot->is_exit),
                 slot->owner != nullptr ? reinterpret_cast<PyTypeObject*>(slot->owner)->tp_name
                                        : "?",
                 Py_TYPE(obj)->tp_name);
    return nullptr;
  }
  with_bound* b;
  if (g.free_count > 0) {
    b = reinterpret_cast<with_bound*>(g.free_list[--g.free_count]);
    Py_SET_REFCNT(b, 1);  // its type reference was kept on the free list
  } else {
    b = PyObject_GC_New(with_bound, g.bound_type);  // takes a type reference (heap type)
    if (b == nullptr) return nullptr;
  }
  b->vectorcall = with_bound_call;  // every field set here, whatever the object was before
  Py_INCREF(obj);
  b->sem = obj;
  b->fn = slot->fn;
  b->is_exit = slot->is_exit;
  PyObject_GC_Track(b);
  return reinterpret_cast<PyObject*>(b);
}

inline int with_slot_traverse(PyObject* self, visitproc visit, void* arg) {
  auto* slot = reinterpret_cast<with_slot*>(self);
  Py_VISIT(slot->unbound);
  Py_VISIT(slot->owner);
  Py_VISIT(Py_TYPE(self));
  return 0;
}

inline int with_slot_clear(PyObject* self) {
  auto* slot = reinterpret_cast<with_slot*>(self);
  Py_CLEAR(slot->unbound);
  Py_CLEAR(slot->owner);
  return 0;
}

inline void with_slot_dealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  with_slot_clear(self);
  PyObject_GC_Del(self);
  Py_DECREF(type);
}

/// Makes the two types once; 0, or -1 with an exception set.
inline int with_init_types() {
  with_state& g = with_globals();
  if (g.bound_type != nullptr) return 0;
  static PyMemberDef bound_members[] = {
      {const_cast<char*>("__vectorcalloffset__"), T_PYSSIZET,
       static_cast<Py_ssize_t>(offsetof(with_bound, vectorcall)), READONLY, nullptr},
      {nullptr, 0, 0, 0, nullptr}};
  static PyGetSetDef bound_getset[] = {
      {const_cast<char*>("__self__"), with_bound_self, nullptr, nullptr, nullptr},
      {const_cast<char*>("__name__"), with_bound_name, nullptr, nullptr, nullptr},
      {nullptr, nullptr, nullptr, nullptr, nullptr}};
  static PyType_Slot bound_slots[] = {
      {Py_tp_dealloc, reinterpret_cast<void*>(with_bound_dealloc)},
      {Py_tp_traverse, reinterpret_cast<void*>(with_bound_traverse)},
      {Py_tp_clear, reinterpret_cast<void*>(with_bound_clear)},
      {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
      {Py_tp_repr, reinterpret_cast<void*>(with_bound_repr)},
      {Py_tp_members, bound_members},
      {Py_tp_getset, bound_getset},
      {0, nullptr}};
  static PyType_Spec bound_spec = {
      "nob.ipc._handle._BoundWith", static_cast<int>(sizeof(with_bound)), 0,
      Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_HAVE_GC, bound_slots};
  static PyType_Slot slot_slots[] = {
      {Py_tp_dealloc, reinterpret_cast<void*>(with_slot_dealloc)},
      {Py_tp_traverse, reinterpret_cast<void*>(with_slot_traverse)},
      {Py_tp_clear, reinterpret_cast<void*>(with_slot_clear)},
      {Py_tp_descr_get, reinterpret_cast<void*>(with_slot_get)},
      {0, nullptr}};
  static PyType_Spec slot_spec = {"nob.ipc._handle._WithSlot",
                                  static_cast<int>(sizeof(with_slot)), 0,
                                  Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, slot_slots};
  // Both are made only here, with every field set: Python may reach them
  // (type(sem.__enter__), NamedSemaphore.__dict__) but never make one.
  g.bound_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&bound_spec));
  if (g.bound_type == nullptr || seal_type(reinterpret_cast<PyObject*>(g.bound_type)) != 0) {
    return -1;
  }
  g.slot_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&slot_spec));
  if (g.slot_type == nullptr || seal_type(reinterpret_cast<PyObject*>(g.slot_type)) != 0) {
    return -1;
  }
  return 0;
}

/// A with_slot for a class body (`__enter__ = with_slot(False, _enter)`):
/// `unbound` is what the class attribute gives; bind_with() completes it.
inline PyObject* make_with_slot(int is_exit, PyObject* unbound) {
  if (with_init_types() != 0) return nullptr;
  with_slot* slot = PyObject_GC_New(with_slot, with_globals().slot_type);
  if (slot == nullptr) return nullptr;
  Py_INCREF(unbound);
  slot->unbound = unbound;
  slot->owner = nullptr;
  slot->fn = nullptr;
  slot->is_exit = is_exit;
  PyObject_GC_Track(slot);
  return reinterpret_cast<PyObject*>(slot);
}

/// After the class exists: its two slots bind its instances to `enter` and
/// `exit`. 0, or -1 with an exception set.
inline int bind_with(PyObject* owner, with_fn enter, with_fn exit) {
  with_state& g = with_globals();
  const char* names[2] = {"__enter__", "__exit__"};
  for (int i = 0; i < 2; ++i) {
    PyObject* slot = PyDict_GetItemString(reinterpret_cast<PyTypeObject*>(owner)->tp_dict,
                                          names[i]);  // borrowed
    if (slot == nullptr || Py_TYPE(slot) != g.slot_type) {
      PyErr_Format(PyExc_TypeError, "%s.%s is not a with-slot",
                   reinterpret_cast<PyTypeObject*>(owner)->tp_name, names[i]);
      return -1;
    }
    auto* s = reinterpret_cast<with_slot*>(slot);
    Py_INCREF(owner);
    Py_XSETREF(s->owner, owner);
    s->fn = i == 0 ? enter : exit;
  }
  return 0;
}

}  // namespace nob_py

#endif  // NOB_PY_WITH_HPP
