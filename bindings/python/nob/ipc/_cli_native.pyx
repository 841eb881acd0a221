# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False
# distutils: language = c++
"""What nob-sem needs in native code (_cli_native.hpp): never part of the public API."""

from libcpp.string cimport string
from libcpp.vector cimport vector

from nob.ipc._robust cimport holder


cdef extern from "<nob/robust_semaphore.hpp>" namespace "nob" nogil:
    cdef cppclass robust_semaphore:
        @staticmethod
        unsigned int max_capacity()


cdef extern from "<nob/common.hpp>" namespace "nob::detail" nogil:
    const size_t c_max_name_length "nob::detail::max_name_length"


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
    bint c_lock_file_taken "nob_py::lock_file_taken"(int lock_fd)
    bint c_is_robust_data_file "nob_py::is_robust_data_file"(int fd)
    int c_die_with_parent "nob_py::die_with_parent"(int signo)
    int c_become_subreaper "nob_py::become_subreaper"()
    int c_start_witness "nob_py::start_witness"(int& pid, int& ask, int& answer)
    long long c_plain_value "nob_py::plain_value"(int fd)
    int c_queue_attributes "nob_py::queue_attributes"(int fd, long& max_messages, long& max_message_size,
                                                      long& current_messages)


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


def lock_file_taken(int fd):
    """True when another open file description holds byte 0 of the robust lock file
    (/dev/shm/nob~NAME) behind `fd`: its file-wide lock, which a creator holds while it
    links its two names. Asks (F_OFD_GETLK); takes nothing."""
    return c_lock_file_taken(fd)


def plain_value(int fd):
    """The value of the plain semaphore in the file behind `fd`, read with pread and checked
    as the library checks a file it opens: -1 when it is not a semaphore, -2 where the
    sem_t layout is not known (open it through NamedSemaphore instead)."""
    cdef long long v
    with nogil:
        v = c_plain_value(fd)
    return v


def queue_attributes(int fd):
    """(max_messages, max_message_size, current_messages) of the message queue whose file
    (in the mqueue file system) `fd` is open on; OSError when it is none."""
    cdef long max_messages = 0, max_message_size = 0, current_messages = 0
    cdef int err
    with nogil:
        err = c_queue_attributes(fd, max_messages, max_message_size, current_messages)
    if err != 0:
        import os
        raise OSError(err, os.strerror(err))
    return max_messages, max_message_size, current_messages


def die_with_parent(int signo):
    """Has the kernel send `signo` to this process when its parent dies (PR_SET_PDEATHSIG);
    for a child about to exec. Returns 0, or an errno."""
    return c_die_with_parent(signo)


MAX_NAME_LENGTH = c_max_name_length  # the longest NAME nob accepts, in bytes, without its '/'


def robust_max_capacity():
    """The most slots a robust semaphore can have (robust_semaphore::max_capacity())."""
    return robust_semaphore.max_capacity()


def become_subreaper():
    """Makes this process a child subreaper (PR_SET_CHILD_SUBREAPER): its descendants whose
    parent ends become its children, so it can wait() for them. OSError when it cannot."""
    cdef int err = c_become_subreaper()
    if err != 0:
        import os
        raise OSError(err, os.strerror(err))


def start_witness():
    """Starts the witness of this process's process group (_cli_native.hpp, start_witness):
    (pid, ask, answer), two descriptors to ask it with. OSError when it cannot start."""
    cdef int pid = 0, ask = -1, answer = -1, err
    with nogil:
        err = c_start_witness(pid, ask, answer)
    if err != 0:
        import os
        raise OSError(err, os.strerror(err))
    return pid, ask, answer


def is_robust_data_file(int fd):
    """True when `fd` is open on a robust semaphore's data file (the file its users map):
    whoever holds such a descriptor can change or truncate the semaphore under them."""
    cdef bint found
    with nogil:
        found = c_is_robust_data_file(fd)
    return found
