# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, always_allow_keywords=False, auto_pickle=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""Crash-proof named semaphores for Python: a thin Cython shim over nob/robust_semaphore.hpp.

Every method converts and checks all of its arguments into C values first,
and only then reads the handle (self._live) and checks that it is open, with
no Python code in between: argument conversion can run Python code (an
__index__, a __float__, a signal handler) that closes the semaphore.
"""

cimport cython

import collections
import numbers

from nob.ipc import _handle
from nob.ipc._handle import ArgumentTypeError, Flags
from nob.ipc._handle cimport (
    FOREVER, Handle, bind_with, by_name_methods, deadline_after, handle_ops, name_fn,
    normalized_name, with_fn, with_slot)

from cpython.exc cimport PyErr_CheckSignals
from libc.errno cimport EPERM
from libc.math cimport INFINITY
from libc.stdint cimport uintptr_t
from libcpp.string cimport string
from libcpp.vector cimport vector


cdef extern from "<nob/robust_semaphore.hpp>" namespace "nob" nogil:
    cdef cppclass robust_semaphore:
        unsigned int capacity()
        bint linked_existing()
        const string& name()
        int liveness_handle()
        @staticmethod
        unsigned int max_capacity()


cdef extern from "_robust_support.hpp" namespace "nob_py":
    robust_semaphore* open_robust(string name, int policy, unsigned int capacity,
                                  unsigned int mode, bint same_uid, long long deadline_ns,
                                  object filename) nogil except? NULL
    int robust_set_persistent(robust_semaphore& sem, bint on, object filename) except -1
    int robust_persistent(robust_semaphore& sem, object filename) except -1
    long long robust_value(robust_semaphore& sem, object filename) except -1
    long long robust_held(robust_semaphore& sem, object filename) except -1
    int robust_holders(robust_semaphore& sem, vector[holder]* out, object filename) except -1
    long long robust_lock_deadline() nogil
    int robust_try(robust_semaphore& sem, int* err) nogil
    int robust_wait_step(robust_semaphore& sem, long long deadline_ns, int* err) nogil
    int robust_release(robust_semaphore& sem, long long n) nogil
    uintptr_t robust_wait_word_address(robust_semaphore& sem) nogil
    const handle_ops* ROBUST_OPS "nob_py::ops_of<nob::robust_semaphore>"()
    name_fn REMOVE "nob_py::remove_by_name<nob::robust_semaphore>"
    name_fn EXISTS "nob_py::exists_by_name<nob::robust_semaphore>"


cdef object _ONE = 1
cdef unsigned int _MAX_CAPACITY = robust_semaphore.max_capacity()


include "_common.pxi"


Holder = collections.namedtuple("Holder", ["pid", "units"], module="nob.ipc._robust")
Holder.__doc__ = """A live process that holds units of a RobustSemaphore: Holder(pid, units).

`pid` is the process id in the holder's own PID namespace."""


cdef class RobustSemaphore


def _enter_unbound(RobustSemaphore self):
    """Acquire one unit (waiting as long as needed) and return the semaphore.

    Until the block ends, a close() from another thread closes the object
    for new calls but leaves the handle alive, so that the block's end
    gives its unit back."""
    return _with_enter(self)


def _exit_unbound(RobustSemaphore self, exc_type, exc_value, traceback):
    """Release the block's unit, also after another thread's close() (raises nothing new then).

    Without a block of this object running, as release(1)."""
    return _with_exit(self)


cdef object _with_enter(object obj):
    """__enter__ of a bound with-object (_with.hpp): a new reference, or NULL
    with an exception. The block counts as a call in flight until __exit__."""
    cdef RobustSemaphore sem = <RobustSemaphore>obj
    cdef robust_semaphore* s = <robust_semaphore*>sem._live  # read last, used at once
    cdef int err
    if s is NULL or robust_try(s[0], &err) != 1:
        sem._acquire(-1.0)
    sem._with_blocks += 1
    sem._call_started()  # close() now defers freeing the handle until __exit__
    return sem


cdef object _with_exit(object obj):
    """__exit__ of a bound with-object, as _with_enter."""
    cdef RobustSemaphore sem = <RobustSemaphore>obj
    cdef robust_semaphore* s
    if sem._with_blocks <= 0:
        return sem._release(1)
    sem._with_blocks -= 1
    s = <robust_semaphore*>sem._obj  # alive: the block's in-flight count kept close() from freeing it
    if s is not NULL and robust_release(s[0], 1) == 0:
        sem._call_ended()  # the last one out finishes a close() that came meanwhile
        return None
    try:
        if s is NULL:
            sem._raise_closed()
        sem._release_on(s, 1)
    finally:
        sem._call_ended()
    return None


cdef class RobustSemaphore(Handle):
    """A named semaphore whose units belong to the process that took them.

    RobustSemaphore(name, initial_value=1, handle_existence=Flags.RAISE_IF_NOT_EXISTS,
                    *, persistent=False, mode=0o600, same_uid_only=False)

    `initial_value` is the capacity: the units a creating call starts with,
    and the most that can ever exist (1..65536). When a process ends in any
    way, the units it held become free again. Unless persistent, the name
    lives as long as some live process has it open. `initial_value`, `mode`
    and `persistent=False` only matter when this call creates the semaphore;
    `persistent=True` makes an existing one persistent too.
    `same_uid_only=True` refuses (PermissionError) to open an existing
    semaphore that another user owns.

    Closing while other threads of this process are blocked in acquire() on
    this same object is safe: new calls raise ValueError at once, while the
    real close waits until the last blocked acquire() returns. Those waiters
    keep waiting until a unit arrives, their timeout passes or a signal
    handler raises; then they raise ValueError, and a unit they took is
    given back. A `with sem:` block running when another thread closes the
    object gives its unit back at its end, raising nothing new; the real
    close waits for that end too.
    """

    cdef Py_ssize_t _with_blocks  # `with` blocks running (each also counts in _inflight)

    # C fields of its own (no __dict__): tells stubtest it is a disjoint base.
    __slots__ = ("__weakref__",)
    remove, exists = by_name_methods(
        "RobustSemaphore", "robust semaphore", REMOVE, EXISTS,
        "True when a robust semaphore called `name` exists and some live process uses it "
        "(or it is persistent).")
    __signature__ = _handle.ClassSignature(
        ("name", _handle.REQUIRED, False), ("initial_value", 1, False),
        ("handle_existence", Flags.RAISE_IF_NOT_EXISTS, False), ("persistent", False, True),
        ("mode", 0o600, True), ("same_uid_only", False, True))
    linked_existing_semaphore = _handle.linked_existing_semaphore
    acquire_async = _handle.acquire_async
    __aenter__ = _handle.__aenter__
    __aexit__ = _handle.__aexit__
    _ASYNC_RETRY = True  # a dead holder's units come back only through a try
    __enter__ = with_slot(False, _enter_unbound)
    __exit__ = with_slot(True, _exit_unbound)

    def __init__(self, name, initial_value=1, handle_existence=_DEFAULT_EXISTENCE,
                 *, persistent=False, mode=0o600, same_uid_only=False):
        self._begin_init()
        cdef string cname = _name_or_fresh(name)
        cdef unsigned int capacity = <unsigned int>_check_range(
            initial_value, "initial_value", 1, _MAX_CAPACITY)
        cdef open_args a
        _check_open_args(cname, handle_existence, None, mode, same_uid_only, &a)
        cdef bint want_persistent = _check_bool(persistent, "persistent")
        py_name = _filename_of(cname)
        cdef robust_semaphore* sem
        cdef long long lock_deadline = robust_lock_deadline()  # one bound over every try
        while True:  # the GIL is free while it waits; Ctrl+C raises between tries
            with nogil:
                sem = open_robust(cname, a.policy, capacity, a.mode, a.same_uid, lock_deadline,
                                  py_name)
            if sem is not NULL:
                break
            PyErr_CheckSignals()
        self._opened(sem, ROBUST_OPS(), sem.name().decode("ascii"), sem.linked_existing(), -1)
        if want_persistent:
            try:
                robust_set_persistent(sem[0], True, self._name)
            except BaseException:
                self._finish_close()
                raise

    @cython.final
    cdef inline robust_semaphore* _sem(self) except NULL:
        """The handle new calls use, or ValueError once closed."""
        return <robust_semaphore*>self._open_object()

    cdef str _describe(self):
        cdef robust_semaphore* sem = self._sem()
        cdef long long value = robust_value(sem[0], self._name)
        cdef long long held = robust_held(sem[0], self._name)
        return f"value={value} capacity={sem.capacity()} held={held}"

    cdef uintptr_t _wait_word(self) noexcept:
        """The futex word waiters sleep on (0 when closed)."""
        cdef robust_semaphore* sem = <robust_semaphore*>self._live
        if sem is NULL:
            return 0
        return robust_wait_word_address(sem[0])

    def _wait_word_address(self):
        """The address of the futex word waiters sleep on (0 when closed), as nob.ipc's asyncio sees it."""
        return self._wait_word()

    @property
    def value(self):
        """Free units now (a snapshot); units of processes that ended count as free."""
        return robust_value(self._sem()[0], self._name)

    @property
    def capacity(self):
        """The most units that can exist (the creating call's initial_value)."""
        return self._sem().capacity()

    def _liveness_fd(self):
        """The descriptor whose open file description keeps this process's units alive
        (robust_semaphore::liveness_handle): a process that inherits a duplicate of it
        keeps them alive while it holds it. For nob-sem run; do not close it."""
        return self._sem().liveness_handle()

    @property
    def held(self):
        """Units the calling process holds."""
        return robust_held(self._sem()[0], self._name)

    def holders(self):
        """The live processes that hold units: a list of Holder(pid, units), one per process."""
        cdef vector[holder] found
        robust_holders(self._sem()[0], &found, self._name)
        return [Holder(h.pid, h.units) for h in found]

    @property
    def persistent(self):
        """True when the name outlives its last user (until unlink() or remove())."""
        return robust_persistent(self._sem()[0], self._name) == 1

    @persistent.setter
    def persistent(self, value):
        cdef bint on = _check_bool(value, "persistent")
        robust_set_persistent(self._sem()[0], on, self._name)

    def acquire(self, blocking=True, timeout=None):
        """Take one unit for this process (a process that ends gives back what it holds).

        True when taken, False on timeout or when unavailable; `blocking`,
        `timeout`, signal handlers and Ctrl+C as for NamedSemaphore.acquire().
        """
        cdef double t = _check_wait(blocking, timeout)  # may run Python: before the handle
        cdef robust_semaphore* s = <robust_semaphore*>self._live
        cdef int err
        if s is not NULL and robust_try(s[0], &err) == 1:  # the common case
            return True
        return self._acquire(t)

    @cython.final
    cdef object _acquire(self, double timeout):
        """Reads the handle, tries once with the GIL, then waits without it
        (timeout < 0: forever, 0: no wait)."""
        cdef int err = 0
        cdef robust_semaphore* sem = self._sem()
        cdef int r = robust_try(sem[0], &err)
        if r == 1:
            return True
        if r < 0:
            self._raise_oserror(err, "try_acquire")
        if timeout == 0.0:
            return False
        return self._wait(sem, FOREVER if timeout < 0 else deadline_after(timeout))

    cdef object _wait(self, robust_semaphore* sem, long long deadline):
        """The wait loop; `sem` was read from self._live with no Python code since."""
        cdef int r
        cdef int err = 0
        self._call_started()  # from here until _call_ended(), close() leaves *sem alive
        try:
            while True:
                with nogil:
                    r = robust_wait_step(sem[0], deadline, &err)
                if r == 0:
                    if self._live is NULL:  # closed meanwhile: give back what we took
                        robust_release(sem[0], 1)
                        self._raise_closed_while_waiting()
                    return True
                if r == 1:
                    if err != 0:
                        self._raise_oserror(err, "wait")
                    if self._live is NULL:
                        self._raise_closed_while_waiting()
                    return False
                PyErr_CheckSignals()  # a handler's exception propagates unchanged
                if self._live is NULL:
                    self._raise_closed_while_waiting()
        finally:
            self._call_ended()

    def release(self, n=1):
        """Give back n units (an int >= 1) that this process holds.

        ValueError, with nothing given back, when n is more than this process holds.
        """
        cdef robust_semaphore* s
        if n is _ONE:  # release() and release(1): the small-int singleton
            s = <robust_semaphore*>self._live
            if s is not NULL and robust_release(s[0], 1) == 0:
                return None
            return self._release(1)
        return self._release(_check_range(n, "n", 1, 0x7FFFFFFFFFFFFFFF))

    @cython.final
    cdef object _release(self, long long count):
        return self._release_on(self._sem(), count)

    @cython.final
    cdef object _release_on(self, robust_semaphore* sem, long long count):
        """release(count) through `sem`, read from self with no Python code since."""
        cdef int err = robust_release(sem[0], count)
        if err == 0:
            return None
        if err == EPERM:
            raise ValueError(
                f"release({count}) on {self._name!r}: this process holds only "
                f"{robust_held(sem[0], self._name)} unit(s); nothing was given back")
        self._raise_oserror(err, "release")


bind_with(RobustSemaphore, <with_fn>_with_enter, <with_fn>_with_exit)
