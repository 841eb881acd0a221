# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, always_allow_keywords=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""POSIX named shared memory for Python: a thin Cython shim over nob/shared_memory.hpp."""

import mmap as _mmap
import numbers

from libc.errno cimport errno
from libc.math cimport INFINITY
from libc.stdint cimport SIZE_MAX
from libcpp.string cimport string
from posix.stat cimport fstat, struct_stat
from posix.unistd cimport close as c_close, dup

from nob.ipc._semaphore import ArgumentTypeError, Flags


cdef extern from "_errors.hpp" namespace "nob_py":
    cdef void translate_error()


cdef extern from "<nob/shared_memory.hpp>" namespace "nob" nogil:
    cdef cppclass named_shared_memory:
        void* data()
        size_t size()
        bint read_only()
        int native_handle()
        bint linked_existing()
        bint unlink_on_destroy()
        void unlink_on_destroy(bint)
        void unlink() except +translate_error
        void close()
        @staticmethod
        bint remove(string name) except +translate_error
        @staticmethod
        bint exists(string name) except +translate_error


cdef extern from "<nob/common.hpp>":
    string _nob_normalize_name "nob::normalize_name"(string name) except +translate_error


cdef extern from "_shm_support.hpp" namespace "nob_py":
    named_shared_memory* open_shared_memory(string name, int policy, unsigned long long size,
                                            bint read_only, unsigned int mode,
                                            bint same_uid) except +translate_error


include "_common.pxi"


# off_t's largest value, and no more than a size_t holds (a 32-bit build
# would otherwise cut 2**32 + n down to n on its way to the header).
cdef long long _SIZE_MAX = <long long>min(<unsigned long long>SIZE_MAX, 0x7FFFFFFFFFFFFFFF)


def _open_args(name, handle_existence, unlink_on_delete, mode):
    """(name as bytes, policy, unlink_on_delete as -1/0/1, mode), C values
    checked the same way for every kind of object (NamedMessageQueue uses it too)."""
    cdef string cname = _nob_normalize_name(_encode_name(name))
    cdef int policy = _check_policy(handle_existence)
    cdef int unlink = _check_optional_bool(unlink_on_delete, "unlink_on_delete")
    return cname, policy, unlink, _check_uint(mode, "mode", 0o777)


def _closed_error(kind, name):
    """The ValueError of every call on a closed object."""
    return ValueError(f"operation on a closed {kind} ({name!r})")


def _refuse_pickle(obj):
    raise TypeError(
        f"a {type(obj).__name__} cannot be pickled; open it by name in the other process")


def _remove_name(remove, name):
    """remove(cname) / exists(cname) with the name checked first and set on an OSError."""
    cdef string cname = _nob_normalize_name(_encode_name(name))
    try:
        return remove(cname)
    except OSError as e:
        e.filename = cname.decode("ascii")
        raise


_REQUIRED = object()


class _ClassSignature:
    """cls.__signature__ for a C type (its __init__ has no signature of its
    own, so inspect.signature(cls) would fail where 1.6.3's pure-Python class
    works): `params` are (name, default or _REQUIRED, keyword-only) triples.
    A subclass with its own __init__ gets None, so inspect looks there."""

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
              default=P.empty if default is _REQUIRED else default)
            for name, default, kw_only in self._params])


def _shm_remove(bytes cname):
    return named_shared_memory.remove(cname)


def _shm_exists(bytes cname):
    return named_shared_memory.exists(cname)


cdef class NamedSharedMemory:
    """A POSIX named shared memory object (shm_open) shared between processes.

    NamedSharedMemory(name, size=0, read_only=False,
                      handle_existence=Flags.RAISE_IF_NOT_EXISTS,
                      unlink_on_delete=None, *, mode=0o600, same_uid_only=False)

    `size` (bytes) and `mode` only matter when this call creates the object;
    linking takes it as it is. `unlink_on_delete=None` means "unlink the name
    on close() if this handle created it". `same_uid_only=True` refuses
    (PermissionError) to open an existing object that another user owns.
    `mmap()` maps it; a mapping stays valid after close(), as mmap.mmap's
    always do.
    """

    cdef named_shared_memory* _shm
    cdef object _name
    cdef bint _linked_existing
    cdef bint _unlink_on_delete
    cdef bint _read_only
    cdef bint _init_started  # set before argument conversion can run Python
    cdef object __weakref__
    # No instance __dict__: tells type checkers this class is a disjoint base
    # (PEP 800) without @disjoint_base in the stub, which older mypy lacks.
    __slots__ = ("__weakref__",)

    Flags = Flags
    __signature__ = _ClassSignature(
        ("name", _REQUIRED, False), ("size", 0, False), ("read_only", False, False),
        ("handle_existence", Flags.RAISE_IF_NOT_EXISTS, False),
        ("unlink_on_delete", None, False), ("mode", 0o600, True), ("same_uid_only", False, True))

    def __cinit__(self):
        self._shm = NULL
        self._name = None

    def __init__(self, name, size=0, read_only=False,
                 handle_existence=Flags.RAISE_IF_NOT_EXISTS, unlink_on_delete=None, *,
                 mode=0o600, same_uid_only=False):
        cdef named_shared_memory* shm
        cdef string cname
        cdef int policy, unlink
        cdef unsigned long long csize
        cdef unsigned int cmode
        cdef bint ro, same_uid
        if self._init_started:  # also when re-entered from the conversions below
            raise RuntimeError("NamedSharedMemory.__init__ may run only once")
        self._init_started = True
        cname, policy, unlink, cmode = _open_args(name, handle_existence, unlink_on_delete, mode)
        csize = <unsigned long long>_check_range(size, "size", 0, _SIZE_MAX)
        ro = _check_bool(read_only, "read_only")
        same_uid = _check_bool(same_uid_only, "same_uid_only")
        py_name = cname.decode("ascii")
        try:
            shm = open_shared_memory(cname, policy, csize, ro, cmode, same_uid)
        except OSError as e:
            e.filename = py_name
            raise
        self._shm = shm
        self._name = py_name
        self._read_only = ro
        self._linked_existing = shm.linked_existing()
        if unlink >= 0:
            shm.unlink_on_destroy(unlink == 1)
        self._unlink_on_delete = shm.unlink_on_destroy()

    def __dealloc__(self):
        cdef named_shared_memory* shm = self._shm
        self._shm = NULL
        if shm is not NULL:
            del shm  # closes, and unlinks under the contract's rules

    cdef named_shared_memory* _open(self) except NULL:
        if self._shm is NULL:
            raise _closed_error("NamedSharedMemory", self._name)
        return self._shm

    @property
    def name(self):
        """The normalised name, with its leading '/' ("/frames")."""
        return self._name

    @property
    def linked_existing_object(self):
        """True when this handle opened an object that existed; False when it created it."""
        return self._linked_existing

    @property
    def unlink_on_delete(self):
        """True when close() (or deletion) will unlink the name."""
        return self._unlink_on_delete

    @unlink_on_delete.setter
    def unlink_on_delete(self, value):
        cdef bint on = _check_bool(value, "unlink_on_delete")
        self._open().unlink_on_destroy(on)
        self._unlink_on_delete = on

    @property
    def closed(self):
        """True once close() has been called."""
        return self._shm is NULL

    @property
    def read_only(self):
        """True when the object was opened read-only."""
        return self._read_only

    @property
    def size(self):
        """The object's size in bytes now (fstat: a resize made through fd or
        by another process shows, as in nob.py 1.6.3)."""
        cdef struct_stat st
        if fstat(self._open().native_handle(), &st) != 0:
            raise _oserror(errno, self._name)
        return st.st_size

    @property
    def fd(self):
        """The file descriptor (shm_open's); valid until close()."""
        return self._open().native_handle()

    def mmap(self):
        """A new mmap.mmap of the whole object as it is now (size: see .size;
        ACCESS_READ when read_only, else ACCESS_WRITE). It stays valid after
        close(); close it yourself."""
        cdef struct_stat st
        cdef int fd = dup(self._open().native_handle())  # ours alone while mmap.mmap runs
        if fd < 0:
            raise _oserror(errno, self._name)
        try:
            if fstat(fd, &st) != 0:
                raise _oserror(errno, self._name)
            return _mmap.mmap(fd, st.st_size,
                              access=_mmap.ACCESS_READ if self._read_only else _mmap.ACCESS_WRITE)
        finally:
            c_close(fd)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def unlink(self):
        """Remove the name now; the memory lives on while handles and mappings exist.

        After this, close() never unlinks (the name may belong to someone else).
        """
        try:
            self._open().unlink()
        except OSError as e:
            e.filename = self._name
            raise

    def close(self):
        """Close the handle, unlinking the name when unlink_on_delete; idempotent.
        Mappings made by mmap() stay valid."""
        cdef named_shared_memory* shm = self._shm
        self._shm = NULL
        if shm is not NULL:
            del shm

    @staticmethod
    def remove(name):
        """Remove the shared memory object called `name`; False if there was none."""
        return _remove_name(_shm_remove, name)

    @staticmethod
    def exists(name):
        """True when a shared memory object called `name` exists."""
        return _remove_name(_shm_exists, name)

    def __repr__(self):
        kind = type(self).__name__
        if self._shm is NULL:
            return f"<{kind} {self._name!r} closed>"
        return f"<{kind} {self._name!r} size={self.size}>"

    def __reduce__(self):
        _refuse_pickle(self)
