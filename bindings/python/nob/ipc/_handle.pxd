# The handle base every nob.ipc kind derives from (cimport it: `from
# nob.ipc._handle cimport Handle, ...`). _handle.pyx says what each piece
# does; this file is the interface the kinds' modules and _async rely on.

from cpython.ref cimport PyObject
from libc.stdint cimport uintptr_t
from libcpp.string cimport string


cdef extern from "_errors.hpp" namespace "nob_py":
    const long long FOREVER "nob_py::forever"
    void translate_error()
    int raise_oserror(PyObject* type, int err, const char* step, object filename) except -1


cdef extern from "_handle.hpp" namespace "nob_py":
    long long deadline_after(double seconds) nogil
    ctypedef struct handle_ops:
        void (*free)(void* obj) noexcept nogil
        void (*unlink_owned)(void* obj) noexcept nogil
        void (*set_unlink_on_destroy)(void* obj, bint on) noexcept nogil
        int (*unlink)(void* obj, PyObject* filename) except -1 nogil


cdef extern from "_with.hpp" namespace "nob_py":
    ctypedef PyObject* (*with_fn)(PyObject* sem)


# A kind's T::remove / T::exists by name (nob_py::remove_by_name<T>): 1, 0,
# or -1 with the error set; callable without the GIL.
ctypedef int (*name_fn)(const string& name, PyObject* filename) except -1 nogil


cdef class Handle:
    # The C++ object new calls use; NULL once close() was called.
    cdef void* _live
    # The C++ object close() frees: it outlives _live while calls are in flight.
    cdef void* _obj
    cdef const handle_ops* _ops
    cdef object _name              # "/jobs"; None until __init__ opened the object
    cdef bint _linked_existing
    cdef bint _unlink_on_delete    # kinds with unlink_on_delete only
    cdef bint _init_started        # set before argument conversion can run Python
    cdef bint _close_pending       # close() came while calls were in flight
    cdef Py_ssize_t _inflight      # calls (and awaits: _async_hold) that may use _obj
    cdef object __weakref__

    cdef int _begin_init(self) except -1
    cdef int _opened(self, void* obj, const handle_ops* ops, object name, bint linked,
                     int unlink_on_delete) except -1
    cdef int _raise_closed(self) except -1
    cdef int _raise_closed_while_waiting(self) except -1
    cdef int _raise_oserror(self, int err, const char* step) except -1
    cdef int _finish_close(self) except -1
    cdef int _on_close(self) except -1
    cdef str _describe(self)
    cdef uintptr_t _wait_word(self) noexcept

    cdef inline void* _open_object(self) except NULL:
        """The C++ object, or ValueError once closed."""
        if self._live is NULL:
            self._raise_closed()
        return self._live

    cdef inline void _call_started(self) noexcept:
        """Before a region that may run Python or drop the GIL: close() must
        not free _obj under it (it defers that to _call_ended). Counts
        inherited through fork() are kept: the thread that forked goes on in
        the child, maybe inside such a region (a signal handler)."""
        self._inflight += 1

    cdef inline int _call_ended(self) except -1:
        """After that region: the last one out finishes a close() that came meanwhile."""
        if self._inflight <= 0:  # never below 0
            return 0
        self._inflight -= 1
        if self._inflight == 0 and self._close_pending:
            return self._finish_close()
        return 0


cdef object by_name(object name, name_fn fn)
cdef tuple by_name_methods(str owner, str noun, name_fn remove, name_fn exists,
                           str exists_doc=*)
cdef string normalized_name(object name) except *
cdef object with_slot(bint is_exit, object unbound)
cdef int bind_with(type owner, with_fn enter, with_fn exit) except -1
cdef double timeout_or_forever(object timeout) except -2.0
