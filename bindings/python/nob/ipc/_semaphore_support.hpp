// Glue between nob/named_semaphore.hpp and the Cython module nob.ipc._semaphore:
// the C++-exception-to-Python translator and flat, non-throwing wrappers that
// Cython can call without the GIL. Compiled into the extension, not installed.
#ifndef NOB_PY_SEMAPHORE_SUPPORT_HPP
#define NOB_PY_SEMAPHORE_SUPPORT_HPP

#include <Python.h>
#include <structmember.h>

#include <nob/named_semaphore.hpp>

#include "_errors.hpp"
#include "_sealed.hpp"

#include <chrono>
#include <cstddef>
#include <climits>
#include <cmath>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>

namespace nob_py {

/// Opens or creates a semaphore (see nob::named_semaphore's constructor).
inline nob::named_semaphore* open_semaphore(const std::string& name, int policy,
                                            unsigned int initial_value, unsigned int mode,
                                            bool same_uid) {
  return new nob::named_semaphore(
      name, static_cast<nob::existence_policy>(policy), initial_value, static_cast<mode_t>(mode),
      same_uid ? nob::owner_check::same_uid : nob::owner_check::any_owner);
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

/// The steady-clock deadline `seconds` from now, in ns since the clock's
/// epoch; LLONG_MAX (forever) for inf or anything too far to represent.
inline long long deadline_after(double seconds) noexcept {
  return nob::detail::steady_deadline_after(std::chrono::duration<double>(seconds)).count();
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

///
// The with-statement's __enter__ / __exit__. CPython 3.11 looks both up on
// every `with` and makes a bound-method object for each; for a semaphore
// that allocation and the generic call cost more than sem_trywait/sem_post.
// A with_slot descriptor in the class gives instead a with_bound: a tiny
// object from a free list, called through vectorcall, that holds a STRONG
// reference to its semaphore for exactly as long as it is alive (as a bound
// method does): `with NamedSemaphore(...):` keeps a temporary alive until
// __exit__, a mere lookup (hasattr, inspect.getmembers) holds nothing once
// dropped, and the semaphore never refers to it (no cycle: `del sem` closes
// at once). Both types take part in the cyclic GC as bound methods do: an
// instance that keeps its own __enter__ (`self.enter = self.__enter__`) is
// collected, closed and unlinked. Everything here runs with the GIL held.
///

/// The semaphore's enter/exit (Cython cdef functions): new reference or NULL.
using with_fn = PyObject* (*)(PyObject* sem);

struct with_state {
  PyTypeObject* sem_type = nullptr;    ///< NamedSemaphore (borrowed: the module keeps it)
  PyTypeObject* bound_type = nullptr;  ///< with_bound's heap type (owned)
  PyTypeObject* slot_type = nullptr;   ///< with_slot's heap type (owned)
  with_fn enter = nullptr;
  with_fn exit = nullptr;
  PyObject* free_list[16] = {};
  int free_count = 0;
};

inline with_state& with_globals() {
  static with_state state;
  return state;
}

struct with_bound {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  PyObject* sem;  ///< strong
  int is_exit;
};

struct with_slot {
  PyObject_HEAD
  PyObject* unbound;  ///< what the class attribute gives (strong)
  int is_exit;
};

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
  with_state& g = with_globals();
  return (b->is_exit ? g.exit : g.enter)(b->sem);
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
  auto* b = reinterpret_cast<with_bound*>(self);
  PyTypeObject* type = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  Py_CLEAR(b->sem);
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
  const char* name = b->is_exit ? "__exit__" : "__enter__";
  if (b->sem == nullptr) return PyUnicode_FromFormat("<bound method %s of nothing>", name);
  return PyUnicode_FromFormat("<bound method %s.%s of %R>", Py_TYPE(b->sem)->tp_name, name,
                              b->sem);
}

inline PyObject* with_bound_self(PyObject* self, void*) {
  PyObject* sem = reinterpret_cast<with_bound*>(self)->sem;
  if (sem == nullptr) Py_RETURN_NONE;
  Py_INCREF(sem);
  return sem;
}

inline PyObject* with_bound_name(PyObject* self, void*) {
  return PyUnicode_FromString(reinterpret_cast<with_bound*>(self)->is_exit ? "__exit__"
                                                                         : "__enter__");
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
  if (g.sem_type == nullptr || !PyObject_TypeCheck(obj, g.sem_type)) {
    PyErr_Format(PyExc_TypeError,
                 "descriptor '%s' for 'NamedSemaphore' objects doesn't apply to a '%s' object",
                 slot->is_exit ? "__exit__" : "__enter__", Py_TYPE(obj)->tp_name);
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
  b->is_exit = slot->is_exit;
  PyObject_GC_Track(b);
  return reinterpret_cast<PyObject*>(b);
}

inline int with_slot_traverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(reinterpret_cast<with_slot*>(self)->unbound);
  Py_VISIT(Py_TYPE(self));
  return 0;
}

inline int with_slot_clear(PyObject* self) {
  Py_CLEAR(reinterpret_cast<with_slot*>(self)->unbound);
  return 0;
}

inline void with_slot_dealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  PyObject_GC_UnTrack(self);
  Py_CLEAR(reinterpret_cast<with_slot*>(self)->unbound);
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
  static PyType_Spec bound_spec = {"nob.ipc._semaphore._BoundWith",
                                   static_cast<int>(sizeof(with_bound)), 0,
                                   Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_HAVE_GC,
                                   bound_slots};
  static PyType_Slot slot_slots[] = {
      {Py_tp_dealloc, reinterpret_cast<void*>(with_slot_dealloc)},
      {Py_tp_traverse, reinterpret_cast<void*>(with_slot_traverse)},
      {Py_tp_clear, reinterpret_cast<void*>(with_slot_clear)},
      {Py_tp_descr_get, reinterpret_cast<void*>(with_slot_get)},
      {0, nullptr}};
  static PyType_Spec slot_spec = {"nob.ipc._semaphore._WithSlot",
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

/// A with_slot for the class body: `unbound` is what the class attribute gives.
inline PyObject* make_with_slot(int is_exit, PyObject* unbound) {
  if (with_init_types() != 0) return nullptr;
  with_slot* slot = PyObject_GC_New(with_slot, with_globals().slot_type);
  if (slot == nullptr) return nullptr;
  Py_INCREF(unbound);
  slot->unbound = unbound;
  slot->is_exit = is_exit;
  PyObject_GC_Track(slot);
  return reinterpret_cast<PyObject*>(slot);
}

/// After the class exists: the type bound objects accept, and the calls.
inline void set_with_calls(PyObject* sem_type, with_fn enter, with_fn exit) {
  with_state& g = with_globals();
  g.sem_type = reinterpret_cast<PyTypeObject*>(sem_type);
  g.enter = enter;
  g.exit = exit;
}

}  // namespace nob_py

#endif  // NOB_PY_SEMAPHORE_SUPPORT_HPP
