# Argument conversion and errors shared by every nob.ipc extension module,
# textually included (`include "_common.pxi"`) so that each module's fast
# paths call them directly. Each helper turns a Python argument into a C
# value or raises; none touches a handle (the lesson of the use-after-close
# review: convert every argument first, read the handle last).
#
# Needs at the include site: numbers (import), INFINITY, PyFloat_AS_DOUBLE,
# PyLong_AsDouble, libcpp string, and ArgumentTypeError (defined in
# _semaphore.pyx; other modules import it from there, as they do Flags).

cdef inline bint _is_int(object x):
    """True for an int that is not a bool."""
    return isinstance(x, int) and not isinstance(x, bool)


cdef string _encode_name(object name) except *:
    """The name as bytes for the header, refusing what is not an ASCII str."""
    if not isinstance(name, str):
        raise ArgumentTypeError(
            f"name must be a str, not {type(name).__name__}")
    if not (<str>name).isascii():
        raise ValueError(
            f"name {name!r} may only hold ASCII letters, digits, '-', '_' and '.'")
    return (<str>name).encode("ascii")


cdef object _oserror(int err, object name):
    """The OSError subclass for `err`, with errno, strerror and filename set."""
    import os
    return OSError(err, os.strerror(err), name)


cdef double _check_timeout(object timeout) except -2.0:
    """A validated timeout in seconds; -1.0 means forever (inf)."""
    cdef double t
    if type(timeout) is float:
        t = PyFloat_AS_DOUBLE(timeout)
    elif type(timeout) is int:
        try:
            t = PyLong_AsDouble(timeout)
        except OverflowError:  # larger than any float: forever
            t = INFINITY if timeout > 0 else -INFINITY
    elif isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise ArgumentTypeError(
            f"timeout must be None or a real number, not {type(timeout).__name__}")
    else:
        try:
            t = float(timeout)
        except OverflowError:  # an int too large for a float: forever
            t = INFINITY if timeout > 0 else -INFINITY
    if t != t:
        raise ValueError("timeout must not be NaN")
    if t < 0:
        raise ValueError(f"timeout must be >= 0, got {timeout!r}")
    if t == INFINITY:
        return -1.0
    return t


