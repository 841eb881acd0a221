# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, always_allow_keywords=False, auto_pickle=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""What every nob.ipc kind shares: the handle's life (open, calls in flight,
close, deferred free, async hold, unlink, remove/exists by name), Flags,
ArgumentTypeError, the class signatures, the one path from an error to
Python (_errors.hpp) and the fast `with` of the semaphores (_with.hpp).

The kinds (_semaphore, _robust, _shared_memory, _message_queue) subclass
Handle and give it their C++ object through a table of plain functions
(_handle.hpp: free, unlink, the unlink close() owes, unlink_on_destroy).

The interface to _async (written down here, kept by every kind that can be
awaited): _async takes only a Handle (TypeError otherwise), and reaches it
through C alone where memory is at stake: _wait_word() (a cdef method, so a
Python subclass cannot give it a forged address) and _call_started() /
_call_ended(), which count one call in flight for as long as a task may
read the object's memory, so that close() defers the free (and calls
_async.closing(obj), which wakes the tasks, that then see ValueError).
Python code has no way to lower that count. Otherwise it calls the
object's acquire(False) and reads closed, as any caller may.
"""

cimport cython

import enum
import numbers

from nob.ipc import _async  # close() wakes awaiting tasks (it imports nothing of ours)

from libc.math cimport INFINITY


cdef extern from "_with.hpp" namespace "nob_py":
    object make_with_slot(int is_exit, object unbound)
    int nob_bind_with "nob_py::bind_with"(object owner, with_fn enter, with_fn exit) except -1


cdef extern from "_sealed.hpp" namespace "nob_py":
    int seal_type(object t) except -1
    int seal_cython_type_of(object obj) except -1


cdef extern from "<nob/common.hpp>":
    string _nob_normalize_name "nob::normalize_name"(string name) except +translate_error


class ArgumentTypeError(ValueError, TypeError):
    """An argument of the wrong type: both a ValueError (the contract) and a TypeError."""


class Flags(enum.Enum):
    """What a constructor does when the name exists, or does not."""

    RAISE_IF_EXISTS = 0
    """Create a new object; FileExistsError if the name exists."""
    LINK_OR_CREATE = 1
    """Open the object if the name exists, else create it (race-free)."""
    RAISE_IF_NOT_EXISTS = 2
    """Open an existing object; FileNotFoundError if there is none."""
    UNLINK_AND_CREATE = 3
    """Remove any object of that name, then create a new one."""


include "_common.pxi"


REQUIRED = object()  # _ClassSignature: a parameter without a default


class ClassSignature:
    """cls.__signature__ for a C type (its __init__ has no signature of its
    own, so inspect.signature(cls) would fail where 1.6.3's pure-Python
    classes work): `params` are (name, default or REQUIRED, keyword-only)
    triples. A subclass with its own __init__ gets None, so inspect looks
    there."""

    def __init__(self, *params):
        self._params = params

    def __get__(self, obj, objtype=None):
        if obj is not None or objtype is None:
            return None
        for owner in objtype.__mro__:  # a loop, not a generator: no closure type
            if owner.__dict__.get("__signature__") is self:
                break
        else:
            return None
        if objtype.__init__ is not owner.__init__:
            return None
        import inspect
        P = inspect.Parameter
        return inspect.Signature([
            P(name, P.KEYWORD_ONLY if kw_only else P.POSITIONAL_OR_KEYWORD,
              default=P.empty if default is REQUIRED else default)
            for name, default, kw_only in self._params])


cdef string normalized_name(object name) except *:
    """The name as the header's normal form ("/jobs"); ValueError if it breaks the name rules."""
    return _nob_normalize_name(_encode_name(name))


cdef object by_name(object name, name_fn fn):
    """fn (a kind's remove or exists) on the name, without the GIL: True or False."""
    cdef string cname = normalized_name(name)
    cdef object filename = cname.decode("ascii")
    cdef int r
    with nogil:
        r = fn(cname, <PyObject*>filename)
    return r == 1


cdef object _by_name_method(name_fn fn, str owner, str method, str doc):
    @cython.binding(True)
    def by_name_method(name):
        return by_name(name, fn)
    by_name_method.__name__ = method
    by_name_method.__qualname__ = f"{owner}.{method}"
    by_name_method.__doc__ = doc
    return staticmethod(by_name_method)


cdef tuple by_name_methods(str owner, str noun, name_fn remove, name_fn exists,
                           str exists_doc=None):
    """A kind's static remove(name) and exists(name), for its class body."""
    methods = (
        _by_name_method(remove, owner, "remove",
                        f"Remove the {noun} called `name`; False if there was none."),
        _by_name_method(exists, owner, "exists",
                        exists_doc or f"True when a {noun} called `name` exists."))
    _seal_closure_of(methods[0].__func__)
    return methods


cdef _seal_closure_of(func):
    """No instance of the type of a function's closure from Python (_sealed.hpp)."""
    import gc
    for r in gc.get_referents(func):
        if type(r).__module__ == __name__ and type(r).__name__.startswith("__pyx_scope"):
            seal_type(type(r))


cdef double timeout_or_forever(object timeout) except -2.0:
    """A timeout argument as seconds, -1.0 for None or inf (forever)."""
    return -1.0 if timeout is None else _check_timeout(timeout)


cdef object with_slot(bint is_exit, object unbound):
    """A fast __enter__ / __exit__ for a class body (_with.hpp)."""
    return make_with_slot(is_exit, unbound)


cdef int bind_with(type owner, with_fn enter, with_fn exit) except -1:
    """After the class exists: its with-slots call `enter` and `exit`."""
    return nob_bind_with(owner, enter, exit)


cdef class Handle:
    """The life of a nob.ipc handle, whatever its kind (see the module's doc).

    Made only by a kind's __init__; a Handle made by __new__ alone (or whose
    __init__ failed) is closed and stays so.
    """

    Flags = Flags
    # What instances hold besides C fields (no __dict__): tells type checkers
    # the classes are disjoint bases (PEP 800) without the stubs needing
    # @disjoint_base, which older mypy releases do not know.
    __slots__ = ("__weakref__",)

    def __dealloc__(self):
        cdef void* obj = self._obj
        self._obj = NULL
        self._live = NULL
        if obj is not NULL:
            with nogil:  # closing may wait (a robust semaphore's file-wide lock)
                self._ops.free(obj)

    cdef int _begin_init(self) except -1:
        """__init__ runs once, also when argument conversion re-enters it."""
        if self._init_started:
            raise RuntimeError(f"{type(self).__name__}.__init__ may run only once")
        self._init_started = True
        return 0

    cdef int _opened(self, void* obj, const handle_ops* ops, object name, bint linked,
                     int unlink_on_delete) except -1:
        """The kind's __init__ made `obj`: from now on the handle is open.
        unlink_on_delete: -1 "if this handle created it", else 0 or 1."""
        self._ops = ops
        self._obj = obj
        self._live = obj
        self._name = name
        self._linked_existing = linked
        if ops.set_unlink_on_destroy is not NULL:
            if unlink_on_delete >= 0:
                ops.set_unlink_on_destroy(obj, unlink_on_delete == 1)
                self._unlink_on_delete = unlink_on_delete == 1
            else:
                self._unlink_on_delete = not linked
        return 0

    cdef int _raise_closed(self) except -1:
        raise ValueError(f"operation on a closed {type(self).__name__} ({self._name!r})")

    cdef int _raise_closed_while_waiting(self) except -1:
        raise ValueError(f"{type(self).__name__} {self._name!r} was closed while waiting")

    cdef int _raise_oserror(self, int err, const char* step) except -1:
        """The OSError of errno `err` in this binding's `step`, named after this object."""
        return raise_oserror(NULL, err, step, self._name)

    cdef int _finish_close(self) except -1:
        cdef void* obj = self._obj
        self._obj = NULL
        self._live = NULL
        self._close_pending = False
        if obj is not NULL:
            with nogil:
                self._ops.free(obj)
        return 0

    cdef int _on_close(self) except -1:
        """What a kind does first when closed (the queue drops its notification)."""
        return 0

    cdef str _describe(self):
        """What repr() shows of an open handle after its name."""
        return ""

    @property
    def name(self):
        """The normalised name, with its leading '/' ("/jobs")."""
        return self._name

    @property
    def linked_existing_object(self):
        """True when this handle opened an object that existed; False when it created it."""
        return self._linked_existing

    @property
    def closed(self):
        """True once close() has been called."""
        return self._live is NULL

    def close(self):
        """Close the handle (idempotent), unlinking the name when this handle owns it.

        Calls in flight on this object in other threads (waits, awaiting
        tasks, also ones inherited through fork(), which in a child may
        never end) keep only the freeing for the last of them: the object is
        closed at once for every new call, which raises ValueError, and any
        unlink owed is done at once.
        """
        cdef void* obj = self._live
        if obj is NULL:
            return None
        self._live = NULL
        self._on_close()
        if self._inflight > 0:
            if self._ops.unlink_owned is not NULL:
                self._ops.unlink_owned(obj)
            self._close_pending = True  # the last call in flight frees
            _async.closing(self)  # awaiting tasks wake and raise ValueError
            return None
        self._finish_close()
        return None

    def unlink(self):
        """Remove the name now; the object lives on while handles (and mappings) exist.

        After this, close() never unlinks (the name may belong to someone else).
        """
        cdef void* obj = self._open_object()
        cdef object filename = self._name
        cdef int r
        self._call_started()
        try:
            with nogil:
                r = self._ops.unlink(obj, <PyObject*>filename)
        finally:
            self._call_ended()

    cdef uintptr_t _wait_word(self) noexcept:
        """For nob.ipc._async: the address of the 64-bit wait word (futex word
        low, waiter count high) while the handle is open; 0 when closed or
        unknown (the tasks then poll). A cdef method: a Python subclass cannot
        hand _async another address."""
        return 0

    def __repr__(self):
        kind = type(self).__name__
        if self._live is NULL:
            return f"<{kind} {self._name!r} closed>"
        return f"<{kind} {self._name!r} {self._describe()}>"

    def __reduce__(self):
        raise TypeError(
            f"a {type(self).__name__} cannot be pickled; open it by name in the other process")


# Shared members, put into the class bodies of the kinds that have them (a
# cdef class has one base, and each of these belongs to two or three kinds).

def _get_unlink_on_delete(Handle self):
    return self._unlink_on_delete


def _set_unlink_on_delete(Handle self, value):
    cdef bint on = _check_bool(value, "unlink_on_delete")
    cdef void* obj = self._open_object()
    self._ops.set_unlink_on_destroy(obj, on)
    self._unlink_on_delete = on


unlink_on_delete = property(
    _get_unlink_on_delete, _set_unlink_on_delete,
    doc="True when close() (or deletion) will unlink the name.")
"""NamedSemaphore, NamedSharedMemory, NamedMessageQueue: unlink_on_delete."""


def _get_linked_existing(Handle self):
    return self._linked_existing


linked_existing_semaphore = property(
    _get_linked_existing,
    doc="True when this handle opened a semaphore that existed; False when it created it.")
"""NamedSemaphore, RobustSemaphore: linked_existing_semaphore."""


# acquire_async, __aenter__, __aexit__ of the semaphores; a kind says with
# _ASYNC_RETRY whether its awaiting tasks must retry now and then (robust:
# a dead holder's units come back only through a try).

@cython.binding(True)
def acquire_async(self, timeout=None):
    """Await one unit without blocking the event loop: True when taken, False on timeout.

    `timeout` as acquire()'s, checked at the call. Cancelling the awaiting
    task takes no unit (see docs/python.md, "asyncio").
    """
    return _async.acquire(self, timeout_or_forever(timeout), type(self)._ASYNC_RETRY)


@cython.binding(True)
def __aenter__(self):
    """`async with sem:` waits as acquire_async() and gives the semaphore."""
    return _async.aenter(self, type(self)._ASYNC_RETRY)


@cython.binding(True)
def __aexit__(self, exc_type, exc_value, traceback):
    """Releases the unit at the end of `async with`."""
    return _async.aexit(self)


# __enter__, __exit__ of NamedSharedMemory and NamedMessageQueue.

@cython.binding(True)
def __enter__(self):
    """Returns the object (the `with` block closes it at its end)."""
    return self


@cython.binding(True)
def __exit__(self, exc_type, exc_value, traceback):
    """Closes the object at the end of a `with` block."""
    self.close()


# The methods of the Python classes here are of Cython's shared
# cython_function_or_method type: no instance from Python (_sealed.hpp).
seal_cython_type_of(ClassSignature.__get__)
