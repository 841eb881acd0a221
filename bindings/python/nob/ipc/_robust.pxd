# What nob.ipc._robust shares at C level (nob-sem's _cli_native cimports it).

from posix.types cimport pid_t


cdef extern from "<nob/robust_semaphore.hpp>" namespace "nob" nogil:
    cdef cppclass holder:
        pid_t pid
        unsigned int units
