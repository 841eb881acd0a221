# Argument conversion and errors shared by every nob.ipc extension module,
# textually included (`include "_common.pxi"`) so that each module's fast
# paths call them directly. Each helper turns a Python argument into a C
# value or raises; none touches a handle (the lesson of the use-after-close
# review: convert every argument first, read the handle last).
#
# Needs at the include site: numbers (import), INFINITY, libcpp string,
# ArgumentTypeError and Flags (defined in _handle.pyx; the kinds import them
# from there), and normalized_name (_handle's; the kinds cimport it).

from cpython.bool cimport PyBool_Check
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_Check
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_Check


cdef string _encode_name(object name) except *:
    """The name as bytes for the header, refusing what is not an ASCII str."""
    if not isinstance(name, str):
        raise ArgumentTypeError(
            f"name must be a str, not {type(name).__name__}")
    if not (<str>name).isascii():
        raise ValueError(
            f"name {name!r} may only hold ASCII letters, digits, '-', '_' and '.'")
    return (<str>name).encode("ascii")


cdef double _check_timeout(object timeout) except -2.0:
    """A validated timeout in seconds; -1.0 means forever (inf). An int or a
    float (subclasses too) is read as its C value: none of its methods run."""
    cdef double t
    cdef int overflow = 0
    cdef long long v
    if PyFloat_Check(timeout):
        t = PyFloat_AS_DOUBLE(timeout)
    elif PyLong_Check(timeout) and not PyBool_Check(timeout):
        v = PyLong_AsLongLongAndOverflow(timeout, &overflow)
        t = INFINITY if overflow > 0 else -INFINITY if overflow < 0 else <double>v
    elif PyBool_Check(timeout) or not isinstance(timeout, numbers.Real):
        raise ArgumentTypeError(
            f"timeout must be None or a real number, not {type(timeout).__name__}")
    else:  # another numbers.Real (Fraction, ...): what float() makes of it
        try:
            t = float(timeout)
        except OverflowError:  # too large for a float: forever, or refused below
            t = INFINITY if timeout > 0 else -INFINITY
        except (TypeError, ValueError) as e:  # a numbers.Real that float() refuses
            raise ArgumentTypeError(
                f"timeout must be None or a real number that float() converts; "
                f"float() refused the {type(timeout).__name__}: {e}") from e
    if t != t:
        raise ValueError("timeout must not be NaN")
    if t < 0:
        raise ValueError(f"timeout must be >= 0, got {_repr_number(timeout)}")
    if t == INFINITY:
        return -1.0
    return t


cdef double _check_wait(object blocking, object timeout) except -2.0:
    """acquire()'s blocking and timeout as one C value: -1.0 forever, 0.0
    try once, else the seconds to wait at most."""
    if blocking is True:
        return -1.0 if timeout is None else _check_timeout(timeout)
    if blocking is False:
        if timeout is not None:
            raise ValueError("a timeout cannot be combined with blocking=False")
        return 0.0
    raise ArgumentTypeError(f"blocking must be a bool, not {type(blocking).__name__}")


cdef str _repr_number(object x):
    """repr() of an int or float argument by its value (a subclass's __repr__ never runs)."""
    if PyLong_Check(x):
        return int.__repr__(x)
    if PyFloat_Check(x):
        return float.__repr__(x)
    return repr(x)


cdef long long _c_long(object x, str what, int* overflow) except? -1:
    """An int argument (not a bool) as a C long long, *overflow set past
    +-LLONG_MAX; nothing of a subclass's Python code (__lt__, __index__) runs."""
    if not PyLong_Check(x) or PyBool_Check(x):
        raise ArgumentTypeError(f"{what} must be an int, not {type(x).__name__}")
    return PyLong_AsLongLongAndOverflow(x, overflow)


cdef long long _check_range(object x, str what, long long lo, long long hi) except? -1:
    """An int argument in lo..hi as a C long long; ValueError outside (by its real value)."""
    cdef int overflow = 0
    cdef long long v = _c_long(x, what, &overflow)
    if overflow != 0 or v < lo or v > hi:
        if what == "mode":
            raise ValueError(f"mode must be permission bits 0o0..{hi:#o}, got {int.__repr__(x)}")
        raise ValueError(f"{what} must be in {lo}..{hi}, got {int.__repr__(x)}")
    return v


cdef unsigned int _check_uint(object x, str what, long long hi) except? 0xFFFFFFFF:
    """An int argument in 0..hi as a C unsigned int; ValueError outside."""
    return <unsigned int>_check_range(x, what, 0, hi)


cdef long long _check_count(object n, long long hi) except -1:
    """release(n)'s n: an int >= 1, as a C value; above `hi` it is hi + 1
    (the caller reports the overflow with its name)."""
    cdef int overflow = 0
    cdef long long v = _c_long(n, "n", &overflow)
    if overflow > 0:
        return hi + 1
    if overflow < 0 or v < 1:
        raise ValueError(f"n must be >= 1, got {int.__repr__(n)}")
    return hi + 1 if v > hi else v


cdef bint _check_bool(object x, str what) except -1:
    """A bool argument as a C bool: only True and False pass (no __bool__ runs)."""
    if x is True:
        return True
    if x is False:
        return False
    raise ArgumentTypeError(f"{what} must be a bool, not {type(x).__name__}")


cdef int _check_optional_bool(object x, str what) except -2:
    """None (-1), False (0) or True (1), as for unlink_on_delete."""
    if x is None:
        return -1
    if x is True:
        return 1
    if x is False:
        return 0
    raise ArgumentTypeError(f"{what} must be None or a bool, not {type(x).__name__}")


cdef tuple _FLAG_MEMBERS = None

# handle_existence left out (every constructor's default): RAISE_IF_NOT_EXISTS
# for a name, a create under a fresh name for name=None. Not a Flags member,
# so that None with an explicit RAISE_IF_NOT_EXISTS can be refused. (One per
# module: a constructor and this check are in the same module.)
_DEFAULT_EXISTENCE = object()


cdef string _name_or_fresh(object name) except *:
    """A name argument in the header's normal form ("/jobs"), or b"" for None:
    the support functions then create under a fresh name (create_unique)."""
    if name is None:
        return string()
    return normalized_name(name)


cdef object _filename_of(const string& name):
    """The name for an error's filename: "/jobs", or None for a fresh name
    (its error names the last name drawn in its text)."""
    return None if name.empty() else name.decode("ascii")


cdef int _check_policy(object x, bint fresh) except -1:
    """handle_existence as the header's existence_policy (its Flags value):
    only the four members themselves pass. isinstance() would ask x for its
    __class__, which any object can fake. With a fresh name (name=None) every
    policy that may create means that create; one that only opens is refused."""
    global _FLAG_MEMBERS
    cdef object member
    if x is _DEFAULT_EXISTENCE:
        return 0 if fresh else 2  # RAISE_IF_EXISTS, RAISE_IF_NOT_EXISTS
    if _FLAG_MEMBERS is None:
        _FLAG_MEMBERS = tuple(Flags)  # in definition order: value i at index i
    for member in _FLAG_MEMBERS:
        if x is member:
            if fresh and member is Flags.RAISE_IF_NOT_EXISTS:
                raise ValueError(
                    "name=None creates an object under a fresh name, and "
                    "handle_existence=Flags.RAISE_IF_NOT_EXISTS only opens one that exists: "
                    "leave handle_existence out (or pass a policy that creates)")
            return (<object>member)._value_
    raise ArgumentTypeError(
        f"handle_existence must be a nob.ipc.Flags member, not {type(x).__name__}")


cdef struct open_args:
    int policy          # Flags value: the header's existence_policy
    int unlink          # unlink_on_delete: -1 None ("if this handle created it"), 0, 1
    unsigned int mode   # permission bits
    bint same_uid       # same_uid_only


cdef int _check_open_args(const string& name, object handle_existence, object unlink_on_delete,
                          object mode, object same_uid_only, open_args* out) except -1:
    """The arguments every kind's constructor shares, as C values (`name`:
    what _name_or_fresh gave; empty for a fresh name)."""
    out.policy = _check_policy(handle_existence, name.empty())
    out.unlink = _check_optional_bool(unlink_on_delete, "unlink_on_delete")
    out.mode = _check_uint(mode, "mode", 0o777)
    out.same_uid = _check_bool(same_uid_only, "same_uid_only")
    return 0
