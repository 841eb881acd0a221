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
        except (TypeError, ValueError) as e:  # a numbers.Real that float() refuses
            raise ArgumentTypeError(
                f"timeout must be None or a real number that float() converts; "
                f"float() refused the {type(timeout).__name__}: {e}") from e
    if t != t:
        raise ValueError("timeout must not be NaN")
    if t < 0:
        raise ValueError(f"timeout must be >= 0, got {timeout!r}")
    if t == INFINITY:
        return -1.0
    return t




from cpython.long cimport PyLong_AsLongLongAndOverflow as _pxi_as_ll_overflow


cdef long long _int_value(object x, str what) except? -1:
    """An int argument (not a bool) as a C long long, saturated at
    +-LLONG_MAX; nothing of a subclass's Python code (__lt__, __index__) runs."""
    cdef int overflow = 0
    cdef long long v
    if not _is_int(x):
        raise ArgumentTypeError(f"{what} must be an int, not {type(x).__name__}")
    v = _pxi_as_ll_overflow(x, &overflow)
    if overflow > 0:
        return 0x7FFFFFFFFFFFFFFF
    if overflow < 0:
        return -0x7FFFFFFFFFFFFFFF
    return v


cdef unsigned int _check_uint(object x, str what, long long hi) except? 0xFFFFFFFF:
    """An int argument in 0..hi as a C unsigned int; ValueError outside."""
    cdef long long v = _int_value(x, what)
    if v < 0 or v > hi:
        if what == "mode":
            raise ValueError(f"mode must be permission bits 0o0..{hi:#o}, got {int(x)!r}")
        raise ValueError(f"{what} must be in 0..{hi}, got {int(x)!r}")
    return <unsigned int>v


cdef long long _check_count(object n, long long hi) except -1:
    """release(n)'s n: an int >= 1, as a C value; above `hi` it is hi + 1
    (the caller reports the overflow with its name)."""
    cdef long long v = _int_value(n, "n")
    if v < 1:
        raise ValueError(f"n must be >= 1, got {int(n)!r}")
    if v > hi:
        return hi + 1
    return v
