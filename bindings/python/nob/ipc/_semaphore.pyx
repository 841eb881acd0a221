# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, always_allow_keywords=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""POSIX named semaphores for Python: a thin Cython shim over nob/named_semaphore.hpp."""

cimport cython

import enum
import numbers

from nob.ipc import _async  # acquire_async / async with (it imports nothing of ours)

from cpython.exc cimport PyErr_CheckSignals
from cpython.float cimport PyFloat_AS_DOUBLE
from libc.math cimport INFINITY
from cpython.ref cimport PyObject
from cpython.long cimport PyLong_AsDouble, PyLong_AsLongLongAndOverflow
from libc.errno cimport errno, EOVERFLOW
from libcpp.string cimport string
from posix.types cimport pid_t
from posix.unistd cimport getpid


cdef extern from "<semaphore.h>" nogil:
    ctypedef struct sem_t:
        pass
    int sem_trywait(sem_t* sem)
    int sem_post(sem_t* sem)
    int sem_getvalue(sem_t* sem, int* sval)
    int SEM_VALUE_MAX


cdef extern from "_errors.hpp" namespace "nob_py":
    cdef void translate_error()


cdef extern from "<nob/named_semaphore.hpp>" namespace "nob" nogil:
    cdef cppclass named_semaphore:
        bint linked_existing()
        bint unlink_on_destroy()
        void unlink_on_destroy(bint)
        void unlink() except +translate_error
        sem_t* native_handle()
        void close()
        @staticmethod
        bint remove(string name) except +translate_error
        @staticmethod
        bint exists(string name) except +translate_error


cdef extern from "<nob/named_semaphore.hpp>":
    string _nob_normalize_name "nob::normalize_name"(string name) except +translate_error


cdef extern from "_semaphore_support.hpp" namespace "nob_py":
    named_semaphore* open_semaphore(string name, int policy, unsigned int initial_value,
                                    unsigned int mode) except +translate_error
    long long deadline_after(double seconds) nogil
    int try_once(sem_t* sem, int* err) nogil
    int wait_step(named_semaphore& sem, long long deadline_ns, int* err) nogil
    int release_n(named_semaphore& sem, long long n) nogil


cdef extern from "_async_support.hpp" namespace "nob_py" nogil:
    size_t _sem_wait_word "nob_py::sem_wait_word"(sem_t* sem)


SEMAPHORE_VALUE_MAX = SEM_VALUE_MAX
"""The largest value a semaphore can hold (the platform's SEM_VALUE_MAX)."""

cdef long long _FOREVER = 0x7FFFFFFFFFFFFFFF
cdef object _ONE = 1


class ArgumentTypeError(ValueError, TypeError):
    """An argument of the wrong type: both a ValueError (the contract) and a TypeError."""


include "_common.pxi"


class Flags(enum.Enum):
    """What NamedSemaphore() does when the name exists, or does not."""

    RAISE_IF_EXISTS = 0
    """Create a new semaphore; FileExistsError if the name exists."""
    LINK_OR_CREATE = 1
    """Open the semaphore if the name exists, else create it (race-free)."""
    RAISE_IF_NOT_EXISTS = 2
    """Open an existing semaphore; FileNotFoundError if there is none."""
    UNLINK_AND_CREATE = 3
    """Remove any semaphore of that name, then create a new one."""


def normalize_name(name, /):
    """normalize_name(name: str) -> str

    The canonical form of a semaphore name ("jobs", "/jobs" and "//jobs" all
    give "/jobs"); ValueError for a name that is not valid.
    """
    return normalize_name_cpp(_encode_name(name)).decode("ascii")


cdef inline string normalize_name_cpp(string name) except *:
    return _nob_normalize_name(name)


cdef object _closed_error(object name):
    return ValueError(f"operation on a closed NamedSemaphore ({name!r})")


cdef class NamedSemaphore


cdef class _WithCalls:
    """The bound __enter__/__exit__ that `with` looks up on a semaphore.

    CPython 3.11 makes a new bound-method object for __enter__ and for
    __exit__ on every `with` statement; for a semaphore that allocation costs
    more than the sem_trywait and sem_post themselves. Each semaphore keeps one
    _WithCalls with its two bound methods made once; it points back at the
    semaphore with a BORROWED reference (no cycle, so deleting the semaphore
    still closes it at once), which the semaphore clears when it is freed.
    From the lookup of __enter__ to the matching __exit__ it also holds a
    strong reference, as a bound method would: CPython drops its own
    reference to the context manager right after looking both methods up, so
    `with NamedSemaphore(...):` stays alive until __exit__ has released.
    """
    cdef PyObject* sem
    cdef object held      # the semaphore while `depth` > 0
    cdef Py_ssize_t depth  # __enter__ lookups not yet matched by __exit__

    cdef void _hold(self, object owner):
        self.depth += 1
        self.held = owner

    cdef void _unhold(self):
        if self.depth > 0:
            self.depth -= 1
            if self.depth == 0:
                self.held = None

    def enter(self):
        cdef NamedSemaphore owner = <NamedSemaphore>self._owner()
        cdef sem_t* h = owner._handle
        if h is not NULL and sem_trywait(h) == 0:  # the common case, inline
            return owner
        try:
            return owner._enter()
        except BaseException:
            self._unhold()  # no __exit__ will come
            raise

    def exit(self, exc_type, exc_value, traceback):
        cdef NamedSemaphore owner = <NamedSemaphore>self._owner()  # alive until we return
        cdef sem_t* h = owner._handle
        self._unhold()
        if h is not NULL and sem_post(h) == 0:  # the common case, inline
            return None
        return owner._exit()

    cdef object _owner(self):
        if self.sem == NULL:
            raise ValueError("operation on a deleted NamedSemaphore")
        return <object>self.sem


def _enter_unbound(NamedSemaphore self):
    """Acquire (waiting as long as needed) and return the semaphore."""
    return self._enter()


def _exit_unbound(NamedSemaphore self, exc_type, exc_value, traceback):
    """Release one unit."""
    return self._exit()


cdef class _WithSlot:
    """Descriptor behind NamedSemaphore.__enter__ / __exit__: on an instance
    it gives the instance's cached bound method, on the class a plain function."""
    cdef bint is_exit

    def __get__(self, obj, objtype):
        if obj is None:
            return _exit_unbound if self.is_exit else _enter_unbound
        return (<NamedSemaphore>obj)._with_call(self.is_exit)


cdef _WithSlot _with_slot(bint is_exit):
    cdef _WithSlot slot = _WithSlot.__new__(_WithSlot)
    slot.is_exit = is_exit
    return slot


@cython.no_gc_clear  # __dealloc__ needs self._with to clear its borrowed pointer
cdef class NamedSemaphore:
    """A POSIX named semaphore shared between processes.

    NamedSemaphore(name, initial_value=1, handle_existence=Flags.RAISE_IF_NOT_EXISTS,
                   unlink_on_delete=None, *, mode=0o600)

    `name` is normalised to one leading '/'. `initial_value` and `mode` only
    matter when this call creates the semaphore. `unlink_on_delete=None`
    means "unlink the name on close() if this handle created it".

    Closing while other threads of this process are blocked in acquire() on
    this same object is safe: the object is closed at once for every new
    call (they raise ValueError), while the real close (and the unlink, if
    owned) waits until the last blocked acquire() returns. Those waiters keep
    waiting until a unit arrives, their timeout passes or a signal handler
    raises; then they raise ValueError, and a unit they took is given back.
    """

    cdef named_semaphore* _sem
    cdef sem_t* _handle
    cdef object _name
    cdef bint _linked_existing
    cdef bint _unlink_on_delete
    cdef bint _close_pending
    cdef Py_ssize_t _inflight
    cdef pid_t _inflight_pid
    cdef _WithCalls _with
    cdef object _with_enter
    cdef object _with_exit

    Flags = Flags

    def __cinit__(self):
        self._sem = NULL
        self._handle = NULL
        self._name = None
        self._inflight = 0
        self._close_pending = False

    def __init__(self, name, initial_value=1, handle_existence=Flags.RAISE_IF_NOT_EXISTS,
                 unlink_on_delete=None, *, mode=0o600):
        cdef string cname
        cdef named_semaphore* sem
        if self._sem is not NULL or self._name is not None:
            raise RuntimeError("NamedSemaphore.__init__ may run only once")
        cname = normalize_name_cpp(_encode_name(name))
        if not _is_int(initial_value):
            raise ArgumentTypeError(
                f"initial_value must be an int, not {type(initial_value).__name__}")
        if not 0 <= initial_value <= SEM_VALUE_MAX:
            raise ValueError(
                f"initial_value must be in 0..{SEM_VALUE_MAX}, got {initial_value!r}")
        if not isinstance(handle_existence, Flags):
            raise ArgumentTypeError(
                f"handle_existence must be a nob.ipc.Flags member, not {handle_existence!r}")
        if unlink_on_delete is not None and not isinstance(unlink_on_delete, bool):
            raise ArgumentTypeError(
                f"unlink_on_delete must be None or a bool, not {type(unlink_on_delete).__name__}")
        if not _is_int(mode):
            raise ArgumentTypeError(f"mode must be an int, not {type(mode).__name__}")
        if not 0 <= mode <= 0o777:
            raise ValueError(f"mode must be permission bits 0o0..0o777, got {mode!r}")
        py_name = cname.decode("ascii")
        try:
            sem = open_semaphore(cname, (<object>handle_existence).value,
                                 <unsigned int>initial_value, <unsigned int>mode)
        except OSError as e:
            e.filename = py_name
            raise
        self._sem = sem
        self._handle = sem.native_handle()
        self._name = py_name
        self._linked_existing = sem.linked_existing()
        if unlink_on_delete is not None:
            sem.unlink_on_destroy(<bint>unlink_on_delete)
        self._unlink_on_delete = sem.unlink_on_destroy()

    def __dealloc__(self):
        cdef named_semaphore* sem = self._sem
        if self._with is not None:
            self._with.sem = NULL
        self._sem = NULL
        self._handle = NULL
        if sem is not NULL:
            del sem  # closes, and unlinks under the contract's rules

    cdef int _finish_close(self) except -1:
        cdef named_semaphore* sem = self._sem
        self._sem = NULL
        self._handle = NULL
        self._close_pending = False
        if sem is not NULL:
            del sem
        return 0

    cdef inline void _call_started(self):
        """Before a region without the GIL: close() must not free the sem_t under it."""
        cdef pid_t pid = getpid()
        if self._inflight_pid != pid:  # counts inherited through fork() mean nothing here
            self._inflight_pid = pid
            self._inflight = 0
        self._inflight += 1

    cdef int _call_ended(self) except -1:
        """After that region: the last one out finishes a close() that came meanwhile."""
        self._inflight -= 1
        if self._inflight == 0 and self._close_pending:
            self._finish_close()
        return 0

    @property
    def name(self):
        """The normalised name, with its leading '/' ("/jobs")."""
        return self._name

    @property
    def linked_existing_semaphore(self):
        """True when this handle opened a semaphore that existed; False when it created it."""
        return self._linked_existing

    @property
    def unlink_on_delete(self):
        """True when close() (or deletion) will unlink the name."""
        return self._unlink_on_delete

    @unlink_on_delete.setter
    def unlink_on_delete(self, value):
        if not isinstance(value, bool):
            raise ArgumentTypeError(
                f"unlink_on_delete must be a bool, not {type(value).__name__}")
        if self._handle is NULL:
            raise _closed_error(self._name)
        self._sem.unlink_on_destroy(<bint>value)
        self._unlink_on_delete = value

    @property
    def closed(self):
        """True once close() has been called."""
        return self._handle is NULL

    @property
    def value(self):
        """The current value (a snapshot, stale as soon as it is read)."""
        cdef int v = 0
        if self._handle is NULL:
            raise _closed_error(self._name)
        if sem_getvalue(self._handle, &v) != 0:
            raise _oserror(errno, self._name)
        return v if v > 0 else 0

    def acquire(self, blocking=True, timeout=None):
        """Take one unit; True when taken, False on timeout or when unavailable.

        blocking=False tries once. timeout (seconds, int or float >= 0,
        inf = forever) bounds the wait; it cannot be combined with
        blocking=False. Signal handlers run during the wait; an exception they
        raise (KeyboardInterrupt too) propagates, otherwise the wait goes on
        towards the same deadline.
        """
        cdef sem_t* h = self._handle
        cdef double t
        if h is not NULL and blocking is True:
            if timeout is None:
                if sem_trywait(h) == 0:
                    return True
                return self._acquire_slow(-1.0)
            t = _check_timeout(timeout)
            if sem_trywait(h) == 0:
                return True
            if t == 0.0:
                return self._try()
            return self._acquire_slow(t)
        if h is not NULL and blocking is False and timeout is None:
            if sem_trywait(h) == 0:
                return True
            return self._try()
        return self._acquire_checked(blocking, timeout)

    cdef object _acquire_checked(self, object blocking, object timeout):
        cdef double t = -1.0
        if not isinstance(blocking, bool):
            raise ArgumentTypeError(f"blocking must be a bool, not {type(blocking).__name__}")
        if timeout is not None:
            if not blocking:
                raise ValueError("a timeout cannot be combined with blocking=False")
            t = _check_timeout(timeout)
        if self._handle is NULL:
            raise _closed_error(self._name)
        if not blocking or t == 0.0:
            return self._try()
        return self._acquire_slow(t)

    cdef bint _try(self) except -1:
        cdef int err = 0
        cdef int r = try_once(self._handle, &err)
        if r < 0:
            raise _oserror(err, self._name)
        return r

    cdef object _acquire_slow(self, double timeout):
        """Tries once with the GIL held, then waits without it (timeout < 0: forever)."""
        cdef int r
        cdef int err = 0
        cdef long long deadline
        cdef named_semaphore* sem
        if self._try():
            return True
        deadline = _FOREVER if timeout < 0 else deadline_after(timeout)
        sem = self._sem
        self._call_started()
        try:
            while True:
                with nogil:
                    r = wait_step(sem[0], deadline, &err)
                if r == 0:
                    if self._close_pending:
                        sem_post(sem.native_handle())  # give back what we took
                        raise ValueError(
                            f"NamedSemaphore {self._name!r} was closed while waiting")
                    return True
                if r == 1:
                    if err != 0:
                        raise _oserror(err, self._name)
                    if self._close_pending:
                        raise ValueError(
                            f"NamedSemaphore {self._name!r} was closed while waiting")
                    return False
                PyErr_CheckSignals()  # a handler's exception propagates unchanged
                if self._close_pending:
                    raise ValueError(f"NamedSemaphore {self._name!r} was closed while waiting")
        finally:
            self._call_ended()

    def release(self, n=1):
        """Add n units (an int >= 1); OverflowError, with the value unchanged, past the maximum."""
        cdef sem_t* h = self._handle
        cdef long long count
        cdef int overflow = 0
        if h is NULL:
            raise _closed_error(self._name)
        if n is _ONE:  # release() and release(1): the small-int singleton
            if sem_post(h) == 0:
                return None
            return self._raise_post_error(errno)
        if type(n) is int:
            count = PyLong_AsLongLongAndOverflow(n, &overflow)
            if count == 1 and overflow == 0:
                if sem_post(h) == 0:
                    return None
                return self._raise_post_error(errno)
        return self._release_checked(n)

    cdef object _raise_post_error(self, int err):
        if err == EOVERFLOW:
            raise OverflowError(
                f"release would raise {self._name!r} past SEMAPHORE_VALUE_MAX ({SEM_VALUE_MAX})")
        raise _oserror(err, self._name)

    cdef object _release_checked(self, object n):
        cdef int err
        cdef long long count
        if not _is_int(n):
            raise ArgumentTypeError(f"n must be an int, not {type(n).__name__}")
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n!r}")
        if n > SEM_VALUE_MAX:
            return self._raise_post_error(EOVERFLOW)
        count = n
        if count <= 64:
            err = release_n(self._sem[0], count)
        else:  # one sem_post per unit: let other threads run meanwhile
            self._call_started()
            try:
                with nogil:
                    err = release_n(self._sem[0], count)
            finally:
                self._call_ended()
        if err != 0:
            return self._raise_post_error(err)
        return None

    cdef object _enter(self):
        """Acquire (waiting as long as needed) and return the semaphore."""
        cdef sem_t* h = self._handle
        if h is NULL:
            raise _closed_error(self._name)
        if sem_trywait(h) != 0:
            self._acquire_slow(-1.0)
        return self

    cdef object _exit(self):
        """Release one unit."""
        cdef sem_t* h = self._handle
        if h is NULL:
            raise _closed_error(self._name)
        if sem_post(h) != 0:
            self._raise_post_error(errno)
        return None

    cdef object _with_call(self, bint is_exit):
        if self._with is None:
            self._with = _WithCalls.__new__(_WithCalls)
            self._with.sem = <PyObject*>self
            self._with_enter = self._with.enter
            self._with_exit = self._with.exit
        if is_exit:
            return self._with_exit
        self._with._hold(self)
        return self._with_enter

    __enter__ = _with_slot(False)
    __exit__ = _with_slot(True)

    def acquire_async(self, timeout=None):
        """Await one unit without blocking the event loop: True when taken, False on timeout.

        `timeout` as acquire()'s, checked at the call. Cancelling the awaiting
        task takes no unit (see docs/python.md, "asyncio").
        """
        return _async.acquire(self, -1.0 if timeout is None else _check_timeout(timeout))

    def __aenter__(self):
        """`async with sem:` waits as acquire_async() and gives the semaphore."""
        return _async.aenter(self)

    def __aexit__(self, exc_type, exc_value, traceback):
        """Releases the unit at the end of `async with`."""
        return _async.aexit(self)

    def _wait_word_address(self):
        """For nob.ipc._async: the address of the futex word (0 where the sem_t layout is unknown)."""
        if self._handle is NULL:
            raise _closed_error(self._name)
        return _sem_wait_word(self._handle)

    def _async_hold(self, bint on):
        """For nob.ipc._async: True keeps the mapping alive across an await (close() defers the unmap), False ends that."""
        if on:
            self._call_started()
        else:
            self._call_ended()

    def unlink(self):
        """Remove the name now; the semaphore lives on while handles are open.

        After this, close() never unlinks (the name may belong to someone else).
        """
        if self._handle is NULL:
            raise _closed_error(self._name)
        try:
            self._sem.unlink()
        except OSError as e:
            e.filename = self._name
            raise

    def close(self):
        """Close the handle, unlinking the name when unlink_on_delete; idempotent."""
        if self._handle is NULL:
            return None
        self._handle = NULL
        if self._inflight > 0 and self._inflight_pid == getpid():
            self._close_pending = True  # the last waiter to return closes for real
            _async.closing(self)  # awaiting tasks wake and raise ValueError
            return None
        self._finish_close()
        return None

    @staticmethod
    def remove(name):
        """Remove the semaphore called `name`; False if there was none."""
        cdef string cname = normalize_name_cpp(_encode_name(name))
        try:
            return named_semaphore.remove(cname)
        except OSError as e:
            e.filename = cname.decode("ascii")
            raise

    @staticmethod
    def exists(name):
        """True when a semaphore called `name` exists."""
        cdef string cname = normalize_name_cpp(_encode_name(name))
        try:
            return named_semaphore.exists(cname)
        except OSError as e:
            e.filename = cname.decode("ascii")
            raise

    def __repr__(self):
        if self._handle is NULL:
            return f"<NamedSemaphore {self._name!r} closed>"
        return f"<NamedSemaphore {self._name!r} value={self.value}>"

    def __reduce__(self):
        raise TypeError("a NamedSemaphore cannot be pickled; open it by name in the other process")
