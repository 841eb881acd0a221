# cython: language_level=3, binding=False, embedsignature=True, autotestdict=False
# distutils: language = c++
"""What nob-sem needs in native code (_cli_native.hpp): never part of the public API."""

cdef extern from "_cli_native.hpp" namespace "nob_py" nogil:
    int c_reset_internal_signals "nob_py::reset_internal_signals"()


def reset_internal_signals():
    """Sets the C library's own signals (glibc: 32 and 33) to their default action, which
    its sigaction cannot; for a child about to exec. Returns how many it reset."""
    return c_reset_internal_signals()
