# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, always_allow_keywords=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""Crash-proof named semaphores for Python: a thin Cython shim over nob/robust_semaphore.hpp.

Every method converts and checks all of its arguments into C values first,
and only then reads the handle (self._sem) and checks that it is open, with
no Python code in between: argument conversion can run Python code (an
__index__, a __float__, a signal handler) that closes the semaphore.
"""

cimport cython

import collections
import numbers

from cpython.bool cimport PyBool_Check
from cpython.exc cimport PyErr_CheckSignals
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsDouble, PyLong_AsLongLongAndOverflow, PyLong_Check
from libc.errno cimport EPERM
from libc.math cimport INFINITY
from libc.stdint cimport uint64_t, uintptr_t
from libcpp.string cimport string
from libcpp.vector cimport vector
from posix.types cimport pid_t

from nob.ipc._semaphore import ArgumentTypeError, Flags
from nob.ipc._shared_memory import _REQUIRED, _ClassSignature  # the generic class signature
from nob.ipc import _async  # acquire_async / async with


cdef extern from "_errors.hpp" namespace "nob_py":
    cdef void translate_error()


cdef extern from "<nob/robust_semaphore.hpp>" namespace "nob" nogil:
    cdef cppclass holder:
        pid_t pid
        unsigned int units

    cdef cppclass robust_semaphore:
        int value() except +translate_error
        unsigned int capacity()
        unsigned int held() except +translate_error
        vector[holder] holders() except +translate_error
        bint linked_existing()
        int liveness_handle()
        bint persistent() except +translate_error
        void persistent(bint) except +translate_error
        void unlink() except +translate_error
        @staticmethod
        unsigned int max_capacity()
        @staticmethod
        bint remove(string name) except +translate_error
        @staticmethod
        bint exists(string name) except +translate_error


cdef extern from "<nob/common.hpp>":
    string _nob_normalize_name "nob::normalize_name"(string name) except +translate_error


cdef extern from "_robust_support.hpp" namespace "nob_py":
    robust_semaphore* open_robust(string name, int policy, unsigned int capacity,
                                  unsigned int mode, bint same_uid,
                                  long long deadline_ns) nogil except +translate_error
    long long robust_lock_deadline() nogil
    long long robust_deadline_after(double seconds) nogil
    int robust_try(robust_semaphore& sem, int* err) nogil
    int robust_wait_step(robust_semaphore& sem, long long deadline_ns, int* err) nogil
    int robust_release(robust_semaphore& sem, long long n) nogil
    uintptr_t robust_wait_word_address(robust_semaphore& sem) nogil


cdef long long _FOREVER = 0x7FFFFFFFFFFFFFFF
cdef object _ONE = 1
cdef unsigned int _MAX_CAPACITY = robust_semaphore.max_capacity()


include "_common.pxi"


Holder = collections.namedtuple("Holder", ["pid", "units"], module="nob.ipc._robust")
Holder.__doc__ = """A live process that holds units of a RobustSemaphore: Holder(pid, units).

`pid` is the process id in the holder's own PID namespace."""


cdef long long _c_int(object x, str what, long long lo, long long hi) except -1:
    """`x` as a C integer in lo..hi (lo >= 0). Only real ints (not bool) pass;
    an int subclass's own methods (__index__, __lt__, ...) are never called."""
    cdef int overflow = 0
    cdef long long v
    if not PyLong_Check(x) or PyBool_Check(x):
        raise ArgumentTypeError(f"{what} must be an int, not {type(x).__name__}")
    v = PyLong_AsLongLongAndOverflow(x, &overflow)
    if overflow != 0 or v < lo or v > hi:
        raise ValueError(f"{what} must be in {lo}..{hi}, got {int.__repr__(x)}")
    return v


cdef double _c_timeout(object timeout) except -2.0:
    """_check_timeout(), with a TypeError from inside float() (an object that
    claims to be a real number and is not) turned into ArgumentTypeError."""
    try:
        return _check_timeout(timeout)
    except TypeError as e:
        if isinstance(e, ValueError):
            raise
        raise ArgumentTypeError(
            f"timeout must be None or a real number, not {type(timeout).__name__}") from e


cdef bint _c_bool(object x, str what) except -1:
    """`x` as a C bool: only True and False pass (no __bool__ is called)."""
    if x is True:
        return True
    if x is False:
        return False
    raise ArgumentTypeError(f"{what} must be a bool, not {type(x).__name__}")


cdef object _closed_error(object sem):
    return ValueError(f"operation on a closed {type(sem).__name__} ({(<RobustSemaphore>sem)._name!r})")


cdef object _closed_while_waiting(object sem):
    return ValueError(
        f"{type(sem).__name__} {(<RobustSemaphore>sem)._name!r} was closed while waiting")


cdef class RobustSemaphore:
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

    cdef robust_semaphore* _sem    # what new calls use; NULL once closed
    cdef robust_semaphore* _owned  # what close deletes; outlives _sem while waits are in flight
    cdef object _name
    cdef bint _linked_existing
    cdef bint _init_started
    cdef bint _close_pending
    cdef Py_ssize_t _inflight
    cdef Py_ssize_t _with_blocks  # `with` blocks running (each also counts in _inflight)
    cdef object __weakref__

    Flags = Flags
    # No instance __dict__: tells type checkers this is a disjoint base (PEP 800)
    # without @disjoint_base in the stub, which older mypy releases lack.
    __slots__ = ("__weakref__",)
    __signature__ = _ClassSignature(
        ("name", _REQUIRED, False), ("initial_value", 1, False),
        ("handle_existence", Flags.RAISE_IF_NOT_EXISTS, False), ("persistent", False, True),
        ("mode", 0o600, True), ("same_uid_only", False, True))

    def __cinit__(self):
        self._sem = NULL
        self._owned = NULL
        self._name = None
        self._inflight = 0
        self._with_blocks = 0
        self._close_pending = False
        self._init_started = False

    def __init__(self, name, initial_value=1, handle_existence=Flags.RAISE_IF_NOT_EXISTS,
                 *, persistent=False, mode=0o600, same_uid_only=False):
        cdef string cname
        cdef robust_semaphore* sem
        cdef unsigned int capacity
        cdef unsigned int cmode
        cdef bint want_persistent
        cdef bint same_uid
        cdef long long lock_deadline
        cdef int policy
        if self._init_started:
            raise RuntimeError(f"{type(self).__name__}.__init__ may run only once")
        self._init_started = True
        cname = _nob_normalize_name(_encode_name(name))
        capacity = <unsigned int>_c_int(initial_value, "initial_value", 1, _MAX_CAPACITY)
        if type(handle_existence) is not Flags:
            raise ArgumentTypeError(
                f"handle_existence must be a nob.ipc.Flags member, not {handle_existence!r}")
        policy = (<object>handle_existence)._value_
        want_persistent = _c_bool(persistent, "persistent")
        cmode = <unsigned int>_c_int(mode, "mode", 0, 0o777)
        if not isinstance(same_uid_only, bool):
            raise ArgumentTypeError(
                f"same_uid_only must be a bool, not {type(same_uid_only).__name__}")
        same_uid = same_uid_only is True
        py_name = cname.decode("ascii")
        try:
            lock_deadline = robust_lock_deadline()  # one bound over every try
            while True:  # the GIL is free while it waits; Ctrl+C raises between tries
                with nogil:
                    sem = open_robust(cname, policy, capacity, cmode, same_uid, lock_deadline)
                if sem is not NULL:
                    break
                PyErr_CheckSignals()
            if want_persistent:
                try:
                    sem.persistent(True)
                except BaseException:
                    del sem
                    raise
        except OSError as e:
            e.filename = py_name
            raise
        self._owned = sem
        self._sem = sem
        self._name = py_name
        self._linked_existing = sem.linked_existing()

    def __dealloc__(self):
        cdef robust_semaphore* sem = self._owned
        self._owned = NULL
        self._sem = NULL
        if sem is not NULL:
            with nogil:  # closing may wait for the table mutex and the file-wide lock
                del sem  # the last handle of a non-persistent semaphore removes the name

    cdef int _finish_close(self) except -1:
        cdef robust_semaphore* sem = self._owned
        self._owned = NULL
        self._sem = NULL
        self._close_pending = False
        if sem is not NULL:
            with nogil:  # may wait for the file-wide lock; *sem is no longer reachable from self
                del sem
        return 0

    cdef inline void _call_started(self):
        """Before a region without the GIL: close() must not free the handle under it.
        Counts inherited through fork() are kept: the thread that forked goes
        on in the child, maybe inside such a region (a signal handler)."""
        self._inflight += 1

    cdef int _call_ended(self) except -1:
        """After that region: the last one out finishes a close() that came meanwhile."""
        if self._inflight <= 0:  # never below 0
            return 0
        self._inflight -= 1
        if self._inflight == 0 and self._close_pending:
            self._finish_close()
        return 0

    def _wait_word_address(self):
        """The address of the futex word waiters sleep on (0 when closed); for nob.ipc's asyncio."""
        cdef robust_semaphore* sem = self._sem
        if sem is NULL:
            return 0
        return robust_wait_word_address(sem[0])

    @property
    def name(self):
        """The normalised name, with its leading '/' ("/jobs")."""
        return self._name

    @property
    def linked_existing_semaphore(self):
        """True when this handle opened a semaphore that existed; False when it created it."""
        return self._linked_existing

    @property
    def closed(self):
        """True once close() has been called."""
        return self._sem is NULL

    @property
    def value(self):
        """Free units now (a snapshot); units of processes that ended count as free."""
        cdef robust_semaphore* sem = self._sem
        if sem is NULL:
            raise _closed_error(self)
        return sem.value()

    @property
    def capacity(self):
        """The most units that can exist (the creating call's initial_value)."""
        cdef robust_semaphore* sem = self._sem
        if sem is NULL:
            raise _closed_error(self)
        return sem.capacity()

    def _liveness_fd(self):
        """The descriptor whose open file description keeps this process's units alive
        (robust_semaphore::liveness_handle): a process that inherits a duplicate of it
        keeps them alive while it holds it. For nob-sem run; do not close it."""
        cdef robust_semaphore* sem = self._sem
        if sem is NULL:
            raise _closed_error(self)
        return sem.liveness_handle()

    @property
    def held(self):
        """Units the calling process holds."""
        cdef robust_semaphore* sem = self._sem
        if sem is NULL:
            raise _closed_error(self)
        return sem.held()

    def holders(self):
        """The live processes that hold units: a list of Holder(pid, units), one per process."""
        cdef robust_semaphore* sem = self._sem
        cdef vector[holder] found
        if sem is NULL:
            raise _closed_error(self)
        found = sem.holders()
        return [Holder(h.pid, h.units) for h in found]

    @property
    def persistent(self):
        """True when the name outlives its last user (until unlink() or remove())."""
        cdef robust_semaphore* sem = self._sem
        if sem is NULL:
            raise _closed_error(self)
        return sem.persistent()

    @persistent.setter
    def persistent(self, value):
        cdef bint on = _c_bool(value, "persistent")
        cdef robust_semaphore* sem = self._sem
        if sem is NULL:
            raise _closed_error(self)
        sem.persistent(on)

    def acquire(self, blocking=True, timeout=None):
        """Take one unit for this process; True when taken, False on timeout or when unavailable.

        blocking=False tries once. timeout (seconds, int or float >= 0,
        inf = forever) bounds the wait; it cannot be combined with
        blocking=False. Signal handlers run during the wait; an exception they
        raise (KeyboardInterrupt too) propagates, otherwise the wait goes on
        towards the same deadline.
        """
        cdef double t = -1.0
        if blocking is True:
            if timeout is not None:
                t = _c_timeout(timeout)  # may run Python code: before the handle is read
        elif blocking is False:
            if timeout is not None:
                raise ValueError("a timeout cannot be combined with blocking=False")
            t = 0.0
        else:
            raise ArgumentTypeError(f"blocking must be a bool, not {type(blocking).__name__}")
        return self._acquire(t)

    @cython.final
    cdef object _acquire(self, double timeout):
        """Reads the handle, tries once with the GIL, then waits without it
        (timeout < 0: forever, 0: no wait)."""
        cdef int err = 0
        cdef int r
        cdef robust_semaphore* sem = self._sem
        if sem is NULL:
            raise _closed_error(self)
        r = robust_try(sem[0], &err)
        if r == 1:
            return True
        if r < 0:
            raise _oserror(err, self._name)
        if timeout == 0.0:
            return False
        return self._wait(sem, _FOREVER if timeout < 0 else robust_deadline_after(timeout))

    cdef object _wait(self, robust_semaphore* sem, long long deadline):
        """The wait loop; `sem` was read from self._sem with no Python code since."""
        cdef int r
        cdef int err = 0
        self._call_started()  # from here until _call_ended(), close() leaves *sem alive
        try:
            while True:
                with nogil:
                    r = robust_wait_step(sem[0], deadline, &err)
                if r == 0:
                    if self._sem is NULL:  # closed meanwhile: give back what we took
                        robust_release(sem[0], 1)
                        raise _closed_while_waiting(self)
                    return True
                if r == 1:
                    if err != 0:
                        raise _oserror(err, self._name)
                    if self._sem is NULL:
                        raise _closed_while_waiting(self)
                    return False
                PyErr_CheckSignals()  # a handler's exception propagates unchanged
                if self._sem is NULL:
                    raise _closed_while_waiting(self)
        finally:
            self._call_ended()

    def release(self, n=1):
        """Give back n units (an int >= 1) that this process holds.

        ValueError, with nothing given back, when n is more than this process holds.
        """
        cdef long long count = 1
        if n is not _ONE:
            count = _c_int(n, "n", 1, 0x7FFFFFFFFFFFFFFF)
        return self._release(count)

    @cython.final
    cdef object _release(self, long long count):
        cdef robust_semaphore* sem = self._sem
        if sem is NULL:
            raise _closed_error(self)
        return self._release_on(sem, count)

    @cython.final
    cdef object _release_on(self, robust_semaphore* sem, long long count):
        """release(count) through `sem`, read from self with no Python code since."""
        cdef unsigned int held
        cdef int err
        err = robust_release(sem[0], count)
        if err == 0:
            return None
        if err == EPERM:
            held = sem.held()
            raise ValueError(
                f"release({count}) on {self._name!r}: this process holds only {held} unit(s); "
                "nothing was given back")
        raise _oserror(err, self._name)

    def __enter__(self):
        """Acquire one unit (waiting as long as needed) and return the semaphore.

        Until the block ends, a close() from another thread closes the object
        for new calls but leaves the handle alive, so that the block's end
        gives its unit back."""
        self._acquire(-1.0)
        self._with_blocks += 1
        self._call_started()  # close() now defers freeing the handle until __exit__
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        """Release the block's unit, also after another thread's close() (raises nothing new then).

        Without a block of this object running, as release(1)."""
        cdef robust_semaphore* sem
        if self._with_blocks <= 0:
            self._release(1)
            return None
        self._with_blocks -= 1
        sem = self._owned  # alive: the block's in-flight count kept close() from freeing it
        try:
            if sem is NULL:
                raise _closed_error(self)
            self._release_on(sem, 1)
        finally:
            self._call_ended()  # the last one out finishes a close() that came meanwhile
        return None

    def acquire_async(self, timeout=None):
        """Await one unit for this process without blocking the event loop: True when taken, False on timeout.

        `timeout` as acquire()'s, checked at the call. Cancelling the awaiting
        task takes no unit (see docs/python.md, "asyncio").
        """
        return _async.acquire(self, -1.0 if timeout is None else _c_timeout(timeout), True)

    def __aenter__(self):
        """`async with sem:` waits as acquire_async() and gives the semaphore."""
        return _async.aenter(self, True)

    def __aexit__(self, exc_type, exc_value, traceback):
        """Releases the unit at the end of `async with`."""
        return _async.aexit(self)

    def _async_hold(self, bint on):
        """For nob.ipc._async: True keeps the handle alive across an await (close() defers), False ends that."""
        if on:
            self._call_started()
        elif self._inflight > 0:  # a False without its True does nothing
            self._call_ended()

    def unlink(self):
        """Remove the name now; the semaphore lives on while handles are open."""
        cdef robust_semaphore* sem = self._sem
        if sem is NULL:
            raise _closed_error(self)
        try:
            sem.unlink()
        except OSError as e:
            e.filename = self._name
            raise

    def close(self):
        """Close the handle (idempotent); the last handle of a non-persistent semaphore removes the name.

        While acquire() calls are in flight on this object (also ones
        inherited through fork(), which in a child may never end), the object
        is closed at once and only freeing the handle waits for them; a child
        that exits first counts as a dead process, as after a crash.
        """
        if self._sem is NULL:
            return None
        self._sem = NULL
        if self._inflight > 0:
            self._close_pending = True  # the last waiter to return closes for real
            _async.closing(self)  # awaiting tasks wake and raise ValueError
            return None
        self._finish_close()
        return None

    @staticmethod
    def remove(name):
        """Remove the robust semaphore called `name`; False if there was none."""
        cdef string cname = _nob_normalize_name(_encode_name(name))
        cdef bint removed
        try:
            with nogil:  # waits for the table mutex (another thread's open may hold it)
                removed = robust_semaphore.remove(cname)
            return removed
        except OSError as e:
            e.filename = cname.decode("ascii")
            raise

    @staticmethod
    def exists(name):
        """True when a robust semaphore called `name` exists and some live process uses it (or it is persistent)."""
        cdef string cname = _nob_normalize_name(_encode_name(name))
        cdef bint found
        try:
            with nogil:  # waits for the table mutex (another thread's open may hold it)
                found = robust_semaphore.exists(cname)
            return found
        except OSError as e:
            e.filename = cname.decode("ascii")
            raise

    def __repr__(self):
        cdef robust_semaphore* sem = self._sem
        cdef int value
        cdef unsigned int capacity, held
        if sem is NULL:
            return f"<{type(self).__name__} {self._name!r} closed>"
        value = sem.value()
        capacity = sem.capacity()
        held = sem.held()
        return (f"<{type(self).__name__} {self._name!r} value={value} capacity={capacity}"
                f" held={held}>")

    def __reduce__(self):
        raise TypeError(
            f"a {type(self).__name__} cannot be pickled; open it by name in the other process")
