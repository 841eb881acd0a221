# cython: language_level=3, binding=False, embedsignature=True, autotestdict=False
# distutils: language = c++
"""What nob-sem needs in native code (_cli_native.hpp): never part of the public API."""

from libcpp.string cimport string
from libcpp.vector cimport vector

from nob.ipc._robust cimport holder


cdef extern from "_cli_native.hpp" namespace "nob_py" nogil:
    int c_reset_internal_signals "nob_py::reset_internal_signals"()

    cdef cppclass robust_view:
        int err
        string why
        unsigned int capacity
        int value
        bint persistent
        bint stale
        bint locked
        vector[holder] holders

    robust_view c_inspect_robust "nob_py::inspect_robust"(int fd)
    bint c_file_lock_taken "nob_py::file_lock_taken"(int fd)


def reset_internal_signals():
    """Sets the C library's own signals (glibc: 32 and 33) to their default action, which
    its sigaction cannot; for a child about to exec. Returns how many it reset."""
    return c_reset_internal_signals()


def inspect_robust(int fd):
    """A robust semaphore's file, read through `fd` without mapping, locking or waiting:
    a dict with `error` (None, or why it was not read: not a robust semaphore, changed
    while being read, an errno's text), and when read, `capacity`, `value`, `holders`
    (list of (pid, units)), `persistent`, `stale` (every user ended) and `locked`
    (another process holds its file-wide lock, byte 0)."""
    cdef robust_view v
    with nogil:
        v = c_inspect_robust(fd)
    if v.err != 0:
        return {"error": v.why.decode() if v.why.size() else None, "errno": v.err}
    return {"error": None, "errno": 0, "capacity": v.capacity, "value": v.value,
            "holders": [(int(h.pid), int(h.units)) for h in v.holders],
            "persistent": v.persistent, "stale": v.stale, "locked": v.locked}


def file_lock_taken(int fd):
    """True when another open file description holds byte 0 of the robust semaphore's
    file behind `fd`: its file-wide lock, which opens and closes wait for."""
    return c_file_lock_taken(fd)
