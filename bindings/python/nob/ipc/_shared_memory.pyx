# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, always_allow_keywords=False, auto_pickle=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""POSIX named shared memory for Python: a thin Cython shim over nob/shared_memory.hpp."""

import mmap as _mmap
import numbers

from nob.ipc import _handle
from nob.ipc._handle import ArgumentTypeError, Flags
from nob.ipc._handle cimport Handle, by_name_methods, handle_ops, name_fn, normalized_name

from libc.errno cimport errno
from libc.math cimport INFINITY
from libc.stdint cimport SIZE_MAX
from libcpp.string cimport string
from posix.stat cimport fstat, struct_stat
from posix.unistd cimport close as c_close, dup


cdef extern from "<nob/shared_memory.hpp>" namespace "nob" nogil:
    cdef cppclass named_shared_memory:
        int native_handle()
        bint linked_existing()
        const string& name()


cdef extern from "_shm_support.hpp" namespace "nob_py":
    named_shared_memory* open_shared_memory(string name, int policy, unsigned long long size,
                                            bint read_only, unsigned int mode, bint same_uid,
                                            object filename) except NULL
    const handle_ops* SHM_OPS "nob_py::ops_of<nob::named_shared_memory>"()
    name_fn REMOVE "nob_py::remove_by_name<nob::named_shared_memory>"
    name_fn EXISTS "nob_py::exists_by_name<nob::named_shared_memory>"


include "_common.pxi"


# off_t's largest value, and no more than a size_t holds (a 32-bit build
# would otherwise cut 2**32 + n down to n on its way to the header).
cdef long long _SIZE_MAX = <long long>min(<unsigned long long>SIZE_MAX, 0x7FFFFFFFFFFFFFFF)


cdef class NamedSharedMemory(Handle):
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

    cdef bint _read_only

    # C fields of its own (no __dict__): tells stubtest it is a disjoint base.
    __slots__ = ("__weakref__",)
    remove, exists = by_name_methods("NamedSharedMemory", "shared memory object", REMOVE, EXISTS)
    __signature__ = _handle.ClassSignature(
        ("name", _handle.REQUIRED, False), ("size", 0, False), ("read_only", False, False),
        ("handle_existence", Flags.RAISE_IF_NOT_EXISTS, False),
        ("unlink_on_delete", None, False), ("mode", 0o600, True), ("same_uid_only", False, True))
    unlink_on_delete = _handle.unlink_on_delete
    __enter__ = _handle.__enter__
    __exit__ = _handle.__exit__

    def __init__(self, name, size=0, read_only=False,
                 handle_existence=_DEFAULT_EXISTENCE, unlink_on_delete=None, *,
                 mode=0o600, same_uid_only=False):
        self._begin_init()
        cdef string cname = _name_or_fresh(name)
        cdef unsigned long long csize = <unsigned long long>_check_range(size, "size", 0, _SIZE_MAX)
        cdef bint ro = _check_bool(read_only, "read_only")
        cdef open_args a
        _check_open_args(cname, handle_existence, unlink_on_delete, mode, same_uid_only, &a)
        cdef named_shared_memory* shm = open_shared_memory(cname, a.policy, csize, ro, a.mode,
                                                           a.same_uid, _filename_of(cname))
        self._read_only = ro
        self._opened(shm, SHM_OPS(), shm.name().decode("ascii"), shm.linked_existing(), a.unlink)

    cdef inline int _fd(self) except -1:
        return (<named_shared_memory*>self._open_object()).native_handle()

    cdef str _describe(self):
        return f"size={self.size}"

    @property
    def read_only(self):
        """True when the object was opened read-only."""
        return self._read_only

    @property
    def size(self):
        """The object's size in bytes now (fstat: a resize made through fd or
        by another process shows, as in nob.py 1.6.3)."""
        cdef struct_stat st
        if fstat(self._fd(), &st) != 0:
            self._raise_oserror(errno, "fstat")
        return st.st_size

    @property
    def fd(self):
        """The file descriptor (shm_open's); valid until close()."""
        return self._fd()

    def mmap(self):
        """A new mmap.mmap of the whole object as it is now (size: see .size;
        ACCESS_READ when read_only, else ACCESS_WRITE). It stays valid after
        close(); close it yourself."""
        cdef struct_stat st
        cdef int fd = dup(self._fd())  # ours alone while mmap.mmap runs
        if fd < 0:
            self._raise_oserror(errno, "dup")
        try:
            if fstat(fd, &st) != 0:
                self._raise_oserror(errno, "fstat")
            return _mmap.mmap(fd, st.st_size,
                              access=_mmap.ACCESS_READ if self._read_only else _mmap.ACCESS_WRITE)
        finally:
            c_close(fd)
