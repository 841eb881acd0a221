# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, always_allow_keywords=False, auto_pickle=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""POSIX named semaphores for Python: a thin Cython shim over nob/named_semaphore.hpp."""

cimport cython

import numbers

from nob.ipc import _handle
from nob.ipc._handle import ArgumentTypeError, Flags  # re-exported: nob.ipc takes them from here
from nob.ipc._handle cimport (
    FOREVER, Handle, bind_with, by_name_methods, deadline_after, handle_ops, name_fn, normalized_name,
    with_fn, with_slot)

from cpython.exc cimport PyErr_CheckSignals
from cpython.ref cimport PyObject
from libc.errno cimport errno, EOVERFLOW
from libc.math cimport INFINITY
from libc.stdint cimport uintptr_t
from libcpp.string cimport string


cdef extern from "<semaphore.h>" nogil:
    ctypedef struct sem_t:
        pass
    int sem_trywait(sem_t* sem)
    int sem_post(sem_t* sem)
    int SEM_VALUE_MAX


cdef extern from "<nob/named_semaphore.hpp>" namespace "nob" nogil:
    cdef cppclass named_semaphore:
        sem_t* native_handle()
        bint linked_existing()
        const string& name()


cdef extern from "_semaphore_support.hpp" namespace "nob_py":
    named_semaphore* open_semaphore(string name, int policy, unsigned int initial_value,
                                    unsigned int mode, bint same_uid,
                                    object filename) except NULL
    int try_once(sem_t* sem, int* err) nogil
    int wait_step(named_semaphore& sem, long long deadline_ns, int* err) nogil
    int release_n(named_semaphore& sem, long long n) nogil
    int value_of(named_semaphore& sem, int* err) nogil
    bint ATOMIC_RELEASE "nob_py::atomic_release"
    const handle_ops* SEMAPHORE_OPS "nob_py::ops_of<nob::named_semaphore>"()
    name_fn REMOVE "nob_py::remove_by_name<nob::named_semaphore>"
    name_fn EXISTS "nob_py::exists_by_name<nob::named_semaphore>"


cdef extern from "_async_support.hpp" namespace "nob_py" nogil:
    size_t _sem_wait_word "nob_py::sem_wait_word"(sem_t* sem)


SEMAPHORE_VALUE_MAX = SEM_VALUE_MAX
"""The largest value a semaphore can hold (the platform's SEM_VALUE_MAX)."""

cdef object _ONE = 1


include "_common.pxi"


def normalize_name(name, /):
    """normalize_name(name: str) -> str

    The canonical form of a semaphore name ("jobs", "/jobs" and "//jobs" all
    give "/jobs"); ValueError for a name that is not valid.
    """
    return normalized_name(name).decode("ascii")


cdef class NamedSemaphore


def _enter_unbound(NamedSemaphore self):
    """Acquire (waiting as long as needed) and return the semaphore."""
    return self._enter()


def _exit_unbound(NamedSemaphore self, exc_type, exc_value, traceback):
    """Release one unit."""
    return self._exit()


cdef object _with_enter(object obj):
    """__enter__ of a bound with-object (_with.hpp); called through a C
    pointer: returns a new reference, or NULL with an exception."""
    cdef NamedSemaphore sem = <NamedSemaphore>obj
    cdef named_semaphore* s = <named_semaphore*>sem._live  # read last, used at once
    if s is not NULL and sem_trywait(s.native_handle()) == 0:
        return sem
    return sem._enter()


cdef object _with_exit(object obj):
    """__exit__ of a bound with-object, as _with_enter."""
    cdef NamedSemaphore sem = <NamedSemaphore>obj
    cdef named_semaphore* s = <named_semaphore*>sem._live
    if s is not NULL and sem_post(s.native_handle()) == 0:
        return None
    return sem._exit()


cdef class NamedSemaphore(Handle):
    """A POSIX named semaphore shared between processes.

    NamedSemaphore(name, initial_value=1, handle_existence=Flags.RAISE_IF_NOT_EXISTS,
                   unlink_on_delete=None, *, mode=0o600, same_uid_only=False)

    `name` is normalised to one leading '/'. `initial_value` and `mode` only
    matter when this call creates the semaphore. `unlink_on_delete=None`
    means "unlink the name on close() if this handle created it".
    `same_uid_only=True` refuses (PermissionError) to open an existing
    semaphore that another user owns.

    Closing while other threads of this process are blocked in acquire() on
    this same object is safe: the object is closed at once for every new
    call (they raise ValueError) and the name, if owned, is unlinked at once,
    while the unmapping waits until the last blocked acquire() returns. Those
    waiters keep waiting until a unit arrives, their timeout passes or a
    signal handler raises; then they raise ValueError, and a unit they took
    is given back.
    """

    remove, exists = by_name_methods("NamedSemaphore", "semaphore", REMOVE, EXISTS)
    __signature__ = _handle.ClassSignature(
        ("name", _handle.REQUIRED, False), ("initial_value", 1, False),
        ("handle_existence", Flags.RAISE_IF_NOT_EXISTS, False),
        ("unlink_on_delete", None, False), ("mode", 0o600, True), ("same_uid_only", False, True))
    unlink_on_delete = _handle.unlink_on_delete
    linked_existing_semaphore = _handle.linked_existing_semaphore
    acquire_async = _handle.acquire_async
    __aenter__ = _handle.__aenter__
    __aexit__ = _handle.__aexit__
    _ASYNC_RETRY = False  # a unit comes back only through a post, which wakes the helper
    __enter__ = with_slot(False, _enter_unbound)
    __exit__ = with_slot(True, _exit_unbound)

    def __init__(self, name, initial_value=1, handle_existence=_DEFAULT_EXISTENCE,
                 unlink_on_delete=None, *, mode=0o600, same_uid_only=False):
        self._begin_init()
        cdef string cname = _name_or_fresh(name)
        cdef unsigned int c_initial = _check_uint(initial_value, "initial_value", SEM_VALUE_MAX)
        cdef open_args a
        _check_open_args(cname, handle_existence, unlink_on_delete, mode, same_uid_only, &a)
        cdef named_semaphore* sem = open_semaphore(cname, a.policy, c_initial, a.mode, a.same_uid,
                                                   _filename_of(cname))
        self._opened(sem, SEMAPHORE_OPS(), sem.name().decode("ascii"), sem.linked_existing(),
                     a.unlink)

    cdef str _describe(self):
        return f"value={self.value}"

    @property
    def value(self):
        """The current value (a snapshot, stale as soon as it is read)."""
        cdef int err = 0
        cdef int v = value_of((<named_semaphore*>self._open_object())[0], &err)
        if err != 0:
            self._raise_oserror(err, "sem_getvalue")
        return v

    def acquire(self, blocking=True, timeout=None):
        """Take one unit; True when taken, False on timeout or when unavailable.

        blocking=False tries once. timeout (seconds, int or float >= 0,
        inf = forever) bounds the wait; it cannot be combined with
        blocking=False. Signal handlers run during the wait; an exception they
        raise (KeyboardInterrupt too) propagates, otherwise the wait goes on
        towards the same deadline.
        """
        # Arguments first (converting a timeout may run Python code, which may
        # close this semaphore); the handle is read only afterwards.
        cdef double t = _check_wait(blocking, timeout)
        cdef named_semaphore* s = <named_semaphore*>self._live
        if s is NULL:
            self._raise_closed()
        if sem_trywait(s.native_handle()) == 0:  # the common case: no clock, no GIL release
            return True
        if t == 0.0:
            return self._try()
        return self._acquire_slow(t)

    cdef bint _try(self) except -1:
        cdef int err = 0
        cdef int r = try_once((<named_semaphore*>self._open_object()).native_handle(), &err)
        if r < 0:
            self._raise_oserror(err, "sem_trywait")
        return r

    cdef object _acquire_slow(self, double timeout):
        """Tries once with the GIL held, then waits without it (timeout < 0: forever)."""
        cdef int r
        cdef int err = 0
        cdef long long deadline
        cdef named_semaphore* sem
        if self._try():
            return True
        deadline = FOREVER if timeout < 0 else deadline_after(timeout)
        # From here on `sem` stays mapped: close() defers the unmap while
        # calls are in flight, so neither `with nogil` nor the signal handlers
        # that PyErr_CheckSignals runs can free it under us.
        sem = <named_semaphore*>self._live
        self._call_started()
        try:
            while True:
                with nogil:
                    r = wait_step(sem[0], deadline, &err)
                if r == 0:
                    if self._close_pending:
                        sem_post(sem.native_handle())  # give back what we took
                        self._raise_closed_while_waiting()
                    return True
                if r == 1:
                    if err != 0:
                        self._raise_oserror(err, "sem_timedwait")
                    if self._close_pending:
                        self._raise_closed_while_waiting()
                    return False
                PyErr_CheckSignals()  # a handler's exception propagates unchanged
                if self._close_pending:
                    self._raise_closed_while_waiting()
        finally:
            self._call_ended()

    def release(self, n=1):
        """Add n units (an int >= 1) at once; OverflowError, with the value unchanged, past the maximum."""
        cdef named_semaphore* s
        cdef long long count
        cdef int err
        if n is _ONE:  # release() and release(1): the small-int singleton
            s = <named_semaphore*>self._live
            if s is not NULL and sem_post(s.native_handle()) == 0:
                return None
            self._open_object()
            return self._raise_post_error(errno)
        count = _check_count(n, SEM_VALUE_MAX)  # no Python code of n's runs after this
        s = <named_semaphore*>self._open_object()
        if ATOMIC_RELEASE or count <= 64:
            err = release_n(s[0], count)
        else:  # one sem_post per unit: let other threads run meanwhile
            self._call_started()
            try:
                with nogil:
                    err = release_n(s[0], count)
            finally:
                self._call_ended()
        if err != 0:
            return self._raise_post_error(err)
        return None

    cdef object _raise_post_error(self, int err):
        if err == EOVERFLOW:
            raise OverflowError(
                f"release would raise {self._name!r} past SEMAPHORE_VALUE_MAX ({SEM_VALUE_MAX})")
        self._raise_oserror(err, "sem_post")

    cdef object _enter(self):
        """Acquire (waiting as long as needed) and return the semaphore."""
        cdef named_semaphore* s = <named_semaphore*>self._open_object()
        if sem_trywait(s.native_handle()) != 0:
            self._acquire_slow(-1.0)
        return self

    cdef object _exit(self):
        """Release one unit."""
        cdef named_semaphore* s = <named_semaphore*>self._open_object()
        if sem_post(s.native_handle()) != 0:
            self._raise_post_error(errno)
        return None

    cdef uintptr_t _wait_word(self) noexcept:
        """The sem_t's futex word (0 where its layout is unknown, or closed)."""
        if self._live is NULL:
            return 0
        return _sem_wait_word((<named_semaphore*>self._live).native_handle())


bind_with(NamedSemaphore, <with_fn>_with_enter, <with_fn>_with_exit)
