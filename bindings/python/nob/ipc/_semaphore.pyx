# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, always_allow_keywords=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""POSIX named semaphores for Python: a thin Cython shim over nob/named_semaphore.hpp."""

cimport cython

import enum
import numbers

from nob.ipc import _async  # acquire_async / async with (it imports nothing of ours)

from cpython.exc cimport PyErr_CheckSignals
from libc.math cimport INFINITY
from cpython.ref cimport PyObject
from libc.errno cimport errno, EOVERFLOW
from libcpp.string cimport string


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
        void unlink_if_owned()
        @staticmethod
        bint remove(string name) except +translate_error
        @staticmethod
        bint exists(string name) except +translate_error


cdef extern from "<nob/named_semaphore.hpp>":
    string _nob_normalize_name "nob::normalize_name"(string name) except +translate_error


cdef extern from "_semaphore_support.hpp" namespace "nob_py":
    named_semaphore* open_semaphore(string name, int policy, unsigned int initial_value,
                                    unsigned int mode, bint same_uid) except +translate_error
    long long deadline_after(double seconds) nogil
    int try_once(sem_t* sem, int* err) nogil
    int wait_step(named_semaphore& sem, long long deadline_ns, int* err) nogil
    int release_n(named_semaphore& sem, long long n) nogil
    int value_of(named_semaphore& sem, int* err) nogil
    bint ATOMIC_RELEASE "nob_py::atomic_release"


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


cdef extern from "_sealed.hpp" namespace "nob_py":
    int seal_cython_type_of(object obj) except -1


cdef extern from "_semaphore_support.hpp" namespace "nob_py":
    ctypedef PyObject* (*with_fn)(PyObject* sem)
    object make_with_slot(int is_exit, object unbound)
    void set_with_calls(object sem_type, with_fn enter, with_fn exit)


def _enter_unbound(NamedSemaphore self):
    """Acquire (waiting as long as needed) and return the semaphore."""
    return self._enter()


def _exit_unbound(NamedSemaphore self, exc_type, exc_value, traceback):
    """Release one unit."""
    return self._exit()


cdef object _with_enter(object obj):
    """__enter__ of a bound with-object (_semaphore_support.hpp); called
    through a C pointer: returns a new reference, or NULL with an exception."""
    cdef NamedSemaphore sem = <NamedSemaphore>obj
    cdef sem_t* h = sem._handle  # read last, used at once: nothing runs Python between
    if h is not NULL and sem_trywait(h) == 0:
        return sem
    return sem._enter()


cdef object _with_exit(object obj):
    """__exit__ of a bound with-object, as _with_enter."""
    cdef NamedSemaphore sem = <NamedSemaphore>obj
    cdef sem_t* h = sem._handle
    if h is not NULL and sem_post(h) == 0:
        return None
    return sem._exit()


class _ClassSignature:
    """NamedSemaphore.__signature__: inspect.signature() of the class (a C
    type's __init__ has none of its own). Subclasses with their own __init__
    get None, so inspect looks at that __init__ instead."""

    def __get__(self, obj, objtype=None):
        if obj is not None or objtype is None:
            return None
        if objtype is not NamedSemaphore and objtype.__init__ is not NamedSemaphore.__init__:
            return None
        import inspect
        P = inspect.Parameter
        return inspect.Signature([
            P("name", P.POSITIONAL_OR_KEYWORD),
            P("initial_value", P.POSITIONAL_OR_KEYWORD, default=1),
            P("handle_existence", P.POSITIONAL_OR_KEYWORD, default=Flags.RAISE_IF_NOT_EXISTS),
            P("unlink_on_delete", P.POSITIONAL_OR_KEYWORD, default=None),
            P("mode", P.KEYWORD_ONLY, default=0o600),
            P("same_uid_only", P.KEYWORD_ONLY, default=False),
        ])


cdef class NamedSemaphore:
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

    cdef named_semaphore* _sem
    cdef sem_t* _handle
    cdef object _name
    cdef bint _linked_existing
    cdef bint _unlink_on_delete
    cdef bint _close_pending
    cdef Py_ssize_t _inflight
    cdef bint _init_started  # set before argument conversion can run Python
    cdef object __weakref__

    Flags = Flags
    __signature__ = _ClassSignature()
    # What instances hold besides C fields (no __dict__): tells type checkers
    # this class is a disjoint base (PEP 800) without the stub needing
    # @disjoint_base, which older mypy releases do not know.
    __slots__ = ("__weakref__",)

    def __cinit__(self):
        self._sem = NULL
        self._handle = NULL
        self._name = None
        self._inflight = 0
        self._close_pending = False

    def __init__(self, name, initial_value=1, handle_existence=Flags.RAISE_IF_NOT_EXISTS,
                 unlink_on_delete=None, *, mode=0o600, same_uid_only=False):
        cdef string cname
        cdef named_semaphore* sem
        if self._init_started:  # also when re-entered from the conversions below
            raise RuntimeError("NamedSemaphore.__init__ may run only once")
        self._init_started = True
        cname = normalize_name_cpp(_encode_name(name))
        cdef unsigned int c_initial = _check_uint(initial_value, "initial_value", SEM_VALUE_MAX)
        cdef int policy = _check_policy(handle_existence)
        cdef int c_unlink = _check_optional_bool(unlink_on_delete, "unlink_on_delete")
        cdef unsigned int c_mode = _check_uint(mode, "mode", 0o777)
        cdef bint same_uid = _check_bool(same_uid_only, "same_uid_only")
        py_name = cname.decode("ascii")
        try:
            sem = open_semaphore(cname, policy, c_initial, c_mode, same_uid)
        except OSError as e:
            e.filename = py_name
            raise
        self._sem = sem
        self._handle = sem.native_handle()
        self._name = py_name
        self._linked_existing = sem.linked_existing()
        if c_unlink >= 0:
            sem.unlink_on_destroy(c_unlink == 1)
        self._unlink_on_delete = sem.unlink_on_destroy()

    def __dealloc__(self):
        cdef named_semaphore* sem = self._sem
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
        """Before a region that may run Python or drop the GIL: close() must
        not free the sem_t under it (it defers the unmap to _call_ended).
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

    cdef inline int _check_open(self) except -1:
        if self._handle is NULL:
            raise _closed_error(self._name)
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
    def linked_existing_object(self):
        """Same as linked_existing_semaphore (the name every nob.ipc kind shares)."""
        return self._linked_existing

    @property
    def unlink_on_delete(self):
        """True when close() (or deletion) will unlink the name."""
        return self._unlink_on_delete

    @unlink_on_delete.setter
    def unlink_on_delete(self, value):
        cdef bint on = _check_bool(value, "unlink_on_delete")
        self._check_open()
        self._sem.unlink_on_destroy(on)
        self._unlink_on_delete = on

    @property
    def closed(self):
        """True once close() has been called."""
        return self._handle is NULL

    @property
    def value(self):
        """The current value (a snapshot, stale as soon as it is read)."""
        cdef int err = 0
        cdef int v
        self._check_open()
        v = value_of(self._sem[0], &err)
        if err != 0:
            raise _oserror(err, self._name)
        return v

    def acquire(self, blocking=True, timeout=None):
        """Take one unit; True when taken, False on timeout or when unavailable.

        blocking=False tries once. timeout (seconds, int or float >= 0,
        inf = forever) bounds the wait; it cannot be combined with
        blocking=False. Signal handlers run during the wait; an exception they
        raise (KeyboardInterrupt too) propagates, otherwise the wait goes on
        towards the same deadline.
        """
        cdef sem_t* h
        cdef double t = -1.0
        # Arguments first (converting a timeout may run Python code, which may
        # close this semaphore); the handle is read only afterwards.
        if blocking is True:
            if timeout is not None:
                t = _check_timeout(timeout)
        elif blocking is False:
            if timeout is not None:
                raise ValueError("a timeout cannot be combined with blocking=False")
            t = 0.0
        else:
            raise ArgumentTypeError(f"blocking must be a bool, not {type(blocking).__name__}")
        h = self._handle
        if h is NULL:
            raise _closed_error(self._name)
        if sem_trywait(h) == 0:  # the common case: no clock, no GIL release
            return True
        if t == 0.0:
            return self._try()
        return self._acquire_slow(t)

    cdef bint _try(self) except -1:
        cdef int err = 0
        cdef int r
        cdef sem_t* h = self._handle
        if h is NULL:
            raise _closed_error(self._name)
        r = try_once(h, &err)
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
        # From here on `sem` stays mapped: close() defers the unmap while
        # _inflight > 0, so neither `with nogil` nor the signal handlers that
        # PyErr_CheckSignals runs can free it under us.
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
        """Add n units (an int >= 1) at once; OverflowError, with the value unchanged, past the maximum."""
        cdef sem_t* h
        cdef long long count
        cdef int err
        cdef named_semaphore* sem
        if n is _ONE:  # release() and release(1): the small-int singleton
            h = self._handle
            if h is not NULL and sem_post(h) == 0:
                return None
            self._check_open()
            return self._raise_post_error(errno)
        count = _check_count(n, SEM_VALUE_MAX)  # no Python code of n's runs after this
        self._check_open()
        if ATOMIC_RELEASE or count <= 64:
            err = release_n(self._sem[0], count)
        else:  # one sem_post per unit: let other threads run meanwhile
            sem = self._sem
            self._call_started()
            try:
                with nogil:
                    err = release_n(sem[0], count)
            finally:
                self._call_ended()
        if err != 0:
            return self._raise_post_error(err)
        return None

    cdef object _raise_post_error(self, int err):
        if err == EOVERFLOW:
            raise OverflowError(
                f"release would raise {self._name!r} past SEMAPHORE_VALUE_MAX ({SEM_VALUE_MAX})")
        raise _oserror(err, self._name)

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

    __enter__ = make_with_slot(False, _enter_unbound)
    __exit__ = make_with_slot(True, _exit_unbound)

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

    def _async_hold(self, on):
        """For nob.ipc._async: True keeps the mapping alive across an await (close() defers the unmap), False ends that."""
        if _check_bool(on, "on"):
            self._call_started()
        elif self._inflight > 0:  # a False without its True does nothing
            self._call_ended()

    def unlink(self):
        """Remove the name now, if it still refers to this semaphore; the
        semaphore lives on while handles are open.

        After this, close() never unlinks (the name may belong to someone else).
        """
        self._check_open()
        try:
            self._sem.unlink()
        except OSError as e:
            e.filename = self._name
            raise

    def close(self):
        """Close the handle, unlinking the name when unlink_on_delete; idempotent.

        The name is unlinked at once; if other threads are still blocked in
        acquire() on this object, only the unmapping waits for them.  Waits
        inherited through fork() count too: a child that closes while its
        inherited waits never end keeps the mapping until exit (safe: the
        object is closed and any unlink it owes is already done).
        """
        if self._handle is NULL:
            return None
        self._handle = NULL
        self._sem.unlink_if_owned()
        if self._inflight > 0:
            self._close_pending = True  # the last waiter to return unmaps
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
        cls = type(self).__name__
        if self._handle is NULL:
            return f"<{cls} {self._name!r} closed>"
        return f"<{cls} {self._name!r} value={self.value}>"

    def __reduce__(self):
        raise TypeError("a NamedSemaphore cannot be pickled; open it by name in the other process")


set_with_calls(NamedSemaphore, <with_fn>_with_enter, <with_fn>_with_exit)
# The methods of the Python classes here (and in _shared_memory) are of
# Cython's shared cython_function_or_method type: no instance from Python.
seal_cython_type_of(_ClassSignature.__get__)
