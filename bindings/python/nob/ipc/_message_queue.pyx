# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, always_allow_keywords=False, auto_pickle=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""POSIX named message queues for Python: a thin Cython shim over nob/message_queue.hpp."""

import numbers

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.ref cimport PyObject
from cpython.exc cimport PyErr_CheckSignals
from libc.errno cimport EBADF, EBUSY
from libc.math cimport INFINITY
from libc.stdlib cimport free, malloc
from libcpp.string cimport string

from nob.ipc import _handle
from nob.ipc._handle import ArgumentTypeError, Flags
from nob.ipc._handle cimport (
    FOREVER, Handle, by_name_methods, deadline_after, handle_ops, name_fn, normalized_name,
    raise_oserror)


cdef extern from "<nob/message_queue.hpp>" namespace "nob" nogil:
    cdef cppclass named_message_queue:
        size_t max_messages()
        size_t max_message_size()
        int native_handle()
        bint linked_existing()
        const string& name()


ctypedef void (*notify_fn)(long long) noexcept

cdef extern from "_mq_support.hpp" namespace "nob_py":
    named_message_queue* open_message_queue(
        string name, int policy, long long max_messages, long long max_message_size,
        bint read, bint write, unsigned int mode, bint same_uid, object filename) except NULL
    const handle_ops* MQ_OPS "nob_py::ops_of<nob::named_message_queue>"()
    name_fn REMOVE "nob_py::remove_by_name<nob::named_message_queue>"
    name_fn EXISTS "nob_py::exists_by_name<nob::named_message_queue>"
    int send_step(named_message_queue& q, const char* data, size_t length, unsigned int priority,
                  long long deadline_ns, int* err) nogil
    int receive_step(named_message_queue& q, char* buf, size_t cap, long long deadline_ns,
                     size_t* length, unsigned int* priority, int* err) nogil
    long current_messages(int mqd, int* err) nogil
    int request_notify(int mqd, int signo, long long nid, notify_fn fn) nogil


cdef extern from "<signal.h>":
    int NSIG


cdef extern from "<unistd.h>":
    long sysconf(int name)
    int _SC_MQ_PRIO_MAX


include "_common.pxi"


cdef long long _NOW = 0  # a steady deadline already past: try once
cdef object _ZERO = 0
cdef long _PRIO_MAX = sysconf(_SC_MQ_PRIO_MAX)
cdef enum:
    _STACK_BUFFER = 8192  # receive into the stack up to this message size

# (function, param) notifications waiting for their thread, by id: the C
# side carries only the id, so a cancelled or replaced request finds nothing.
cdef dict _notifications = {}
cdef long long _last_notification = 0


cdef inline int _step(named_message_queue* mq, bint sending, const char* data, size_t n,
                      unsigned int prio, char* buf, size_t cap, long long deadline, size_t* got,
                      unsigned int* got_prio, int* err) noexcept nogil:
    """One send or receive step (see send_step / receive_step in _mq_support.hpp)."""
    if sending:
        return send_step(mq[0], data, n, prio, deadline, err)
    return receive_step(mq[0], buf, cap, deadline, got, got_prio, err)


cdef void _run_notification(long long nid) noexcept with gil:
    entry = _notifications.pop(nid, None)
    if entry is not None:
        entry[0](entry[1])  # an exception goes to sys.unraisablehook


cdef object _message_bytes(object message):
    """A bytes object with the message: bytes as is, str in UTF-8, any other
    bytes-like object copied; ArgumentTypeError for anything else."""
    if type(message) is bytes:
        return message
    if isinstance(message, bytes):  # a subclass: its bytes, never its __bytes__
        return PyBytes_FromStringAndSize(PyBytes_AS_STRING(message), PyBytes_GET_SIZE(message))
    if isinstance(message, str):
        return str.encode(message, "utf-8")
    try:
        view = memoryview(message)
    except TypeError:
        raise ArgumentTypeError(
            f"message must be bytes, str or a bytes-like object, not {type(message).__name__}"
        ) from None
    return view.tobytes()


cdef unsigned int _check_priority(object priority) except? 0xFFFFFFFF:
    if priority is _ZERO:
        return 0
    return <unsigned int>_check_range(priority, "priority", 0, _PRIO_MAX - 1)


cdef long long _check_limit(str what, object value) except -2:
    """max_messages / max_message_size: None (0: the system's default) or an int > 0."""
    if value is None:
        return 0
    if not PyLong_Check(value) or PyBool_Check(value):
        raise ArgumentTypeError(f"{what} must be None or an int, not {type(value).__name__}")
    return _check_range(value, what, 1, 0x7FFFFFFF)


cdef class NamedMessageQueue(Handle):
    """A POSIX named message queue (mq_open) shared between processes.

    NamedMessageQueue(name, max_messages=None, max_message_size=None, read=True,
                      write=True, handle_existence=Flags.RAISE_IF_NOT_EXISTS,
                      unlink_on_delete=None, *, mode=0o600, same_uid_only=False)

    `max_messages`, `max_message_size` (None: the system's defaults) and
    `mode` only matter when this call creates the queue; linking takes it as
    it is. `unlink_on_delete=None` means "unlink the name on close() if this
    handle created it". `same_uid_only=True` refuses (PermissionError) to open
    an existing queue that another user owns.

    send() and receive() wait without the GIL; signal handlers run during the
    wait, an exception they raise (KeyboardInterrupt too) propagates, and
    otherwise the wait goes on towards the same deadline. Closing while other
    threads of this process wait in send()/receive() on this object is safe:
    new calls raise ValueError at once, the name is unlinked at once (when
    unlink_on_delete), the descriptor's close waits for the last waiter, and
    a waiter that ends without a message raises ValueError. close() also
    cancels a registered notification.
    """

    cdef bint _block
    cdef bint _read
    cdef bint _write
    cdef long long _max_messages
    cdef long long _max_message_size
    cdef long long _notify_id

    # C fields of its own (no __dict__): tells stubtest it is a disjoint base.
    __slots__ = ("__weakref__",)
    remove, exists = by_name_methods("NamedMessageQueue", "message queue", REMOVE, EXISTS)
    __signature__ = _handle.ClassSignature(
        ("name", _handle.REQUIRED, False), ("max_messages", None, False),
        ("max_message_size", None, False), ("read", True, False), ("write", True, False),
        ("handle_existence", Flags.RAISE_IF_NOT_EXISTS, False),
        ("unlink_on_delete", None, False), ("mode", 0o600, True), ("same_uid_only", False, True))
    unlink_on_delete = _handle.unlink_on_delete
    __enter__ = _handle.__enter__
    __exit__ = _handle.__exit__

    def __cinit__(self):
        self._block = True

    def __init__(self, name, max_messages=None, max_message_size=None, read=True, write=True,
                 handle_existence=_DEFAULT_EXISTENCE, unlink_on_delete=None, *,
                 mode=0o600, same_uid_only=False):
        self._begin_init()
        cdef string cname = _name_or_fresh(name)
        cdef long long cmax = _check_limit("max_messages", max_messages)
        cdef long long csize = _check_limit("max_message_size", max_message_size)
        cdef bint r = _check_bool(read, "read")
        cdef bint w = _check_bool(write, "write")
        if not (r or w):
            raise ValueError("read and write cannot both be False")
        cdef open_args a
        _check_open_args(cname, handle_existence, unlink_on_delete, mode, same_uid_only, &a)
        cdef named_message_queue* mq = open_message_queue(cname, a.policy, cmax, csize, r, w,
                                                          a.mode, a.same_uid, _filename_of(cname))
        self._read = r
        self._write = w
        self._max_messages = mq.max_messages()
        self._max_message_size = mq.max_message_size()
        self._opened(mq, MQ_OPS(), mq.name().decode("ascii"), mq.linked_existing(), a.unlink)

    def __dealloc__(self):
        if self._notify_id != 0 and _notifications is not None:
            _notifications.pop(self._notify_id, None)

    cdef int _on_close(self) except -1:
        if self._notify_id != 0:
            _notifications.pop(self._notify_id, None)
            self._notify_id = 0
        return 0

    cdef str _describe(self):
        return f"max_messages={self._max_messages} max_message_size={self._max_message_size}"

    cdef int _check_open(self) except -1:
        """The descriptor, or ValueError once closed."""
        return (<named_message_queue*>self._open_object()).native_handle()

    @property
    def block(self):
        """True (the default): send() and receive() wait as their timeout says;
        False: they try once, whatever the timeout."""
        self._check_open()
        return self._block

    @block.setter
    def block(self, value):
        cdef bint on = _check_bool(value, "block")
        self._check_open()
        self._block = on

    @property
    def mqd(self):
        """The message queue descriptor (mq_open's); valid until close()."""
        return self._check_open()

    @property
    def mdq(self):
        """Alias of mqd, as nob.py 1.6.3 spelled it."""
        return self._check_open()

    @property
    def max_messages(self):
        """How many messages the queue holds at most."""
        self._check_open()
        return self._max_messages

    @property
    def max_message_size(self):
        """The longest message in bytes."""
        self._check_open()
        return self._max_message_size

    @property
    def current_messages(self):
        """How many messages are in the queue now (a snapshot)."""
        cdef int err = 0
        cdef long n = current_messages(self._check_open(), &err)
        if n < 0:
            self._raise_oserror(err, "mq_getattr")
        return n

    def send(self, message, timeout=None, priority=0):
        """Put a message (bytes, str as UTF-8, or bytes-like) in the queue.

        True when sent; False when the queue stayed full until the timeout
        (seconds >= 0; None waits as long as needed; 0 tries once; inf =
        forever). A higher priority is received first. ValueError, nothing
        sent, for a message longer than max_message_size.
        """
        cdef double t = -1.0
        cdef unsigned int prio
        cdef bytes data = _message_bytes(message)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
        if timeout is not None:
            t = _check_timeout(timeout)
        prio = _check_priority(priority)
        self._check_open()  # nothing below runs Python code before the send
        if n > self._max_message_size:
            raise ValueError(
                f"message of {n} bytes is longer than max_message_size ({self._max_message_size})")
        if not self._write:
            raise_oserror(<PyObject*>PermissionError, EBADF, "mq_send (opened without write)",
                          self._name)
        return self._transfer(True, PyBytes_AS_STRING(data), <size_t>n, prio, NULL, 0, t,
                              NULL, NULL) == 1

    def receive(self, timeout=None):
        """Take the oldest message of the highest priority: (bytes, priority).

        None when the queue stayed empty until the timeout (seconds >= 0;
        None waits as long as needed; 0 tries once; inf = forever).
        """
        cdef double t = -1.0
        cdef char stack_buf[_STACK_BUFFER]
        cdef char* buf = stack_buf
        cdef size_t cap
        cdef size_t n = 0
        cdef unsigned int prio = 0
        if timeout is not None:
            t = _check_timeout(timeout)
        self._check_open()
        if not self._read:
            raise_oserror(<PyObject*>PermissionError, EBADF, "mq_receive (opened without read)",
                          self._name)
        cap = <size_t>self._max_message_size
        if cap > _STACK_BUFFER:
            buf = <char*>malloc(cap)
            if buf is NULL:
                raise MemoryError()
        try:
            if self._transfer(False, NULL, 0, 0, buf, cap, t, &n, &prio) == 0:
                return None
            return PyBytes_FromStringAndSize(buf, <Py_ssize_t>n), prio
        finally:
            if buf is not stack_buf:
                free(buf)

    cdef int _transfer(self, bint sending, const char* data, size_t n, unsigned int prio,
                       char* buf, size_t cap, double t, size_t* got,
                       unsigned int* got_prio) except -1:
        """Sends data[:n] at prio, or receives into buf (cap bytes; length and
        priority to *got, *got_prio): one try with the GIL, then, unless t == 0
        or block is off, steps without the GIL until t seconds have passed
        (t < 0: forever). 1: done; 0: timed out."""
        cdef int err = 0
        cdef long long deadline
        cdef named_message_queue* mq = <named_message_queue*>self._open_object()
        cdef const char* step = "mq_send" if sending else "mq_receive"
        cdef int r = _step(mq, sending, data, n, prio, buf, cap, _NOW, got, got_prio, &err)
        if r == 0:
            return 1
        if err != 0:
            self._raise_oserror(err, step)
        if t == 0.0 or not self._block:
            return 0
        deadline = FOREVER if t < 0 else deadline_after(t)
        self._call_started()
        try:
            while True:
                with nogil:
                    r = _step(mq, sending, data, n, prio, buf, cap, deadline, got, got_prio, &err)
                if r == 0:
                    return 1
                if r == 1:
                    if err != 0:
                        self._raise_oserror(err, step)
                    if self._close_pending:
                        self._raise_closed_while_waiting()
                    return 0
                PyErr_CheckSignals()  # a handler's exception propagates unchanged
                if self._close_pending:
                    self._raise_closed_while_waiting()
        finally:
            self._call_ended()

    def request_notification(self, notification=None):
        """Ask to be told when the queue goes from empty to non-empty (mq_notify).

        notification: a signal number (the signal is sent to this process), a
        (function, param) pair (function(param) runs in a new thread), or None
        to cancel. One notification per request; True when registered (or
        cancelled), False when another process is registered already.
        """
        cdef int signo = 0
        cdef long long nid = 0
        cdef int err
        cdef object entry = None
        cdef tuple pair
        global _last_notification
        if notification is None:
            pass
        elif PyLong_Check(notification) and not PyBool_Check(notification):
            signo = <int>_check_range(notification, "signal number", 1, NSIG - 1)
        elif isinstance(notification, tuple):  # a subclass's __len__, __getitem__ never run
            pair = <tuple>notification
            if len(pair) != 2 or not callable(pair[0]):
                raise ArgumentTypeError(
                    "notification must be None, a signal number or a (function, param) pair")
            entry = (pair[0], pair[1])
            _last_notification += 1
            nid = _last_notification
        else:
            raise ArgumentTypeError(
                "notification must be None, a signal number or a (function, param) pair, "
                f"not {type(notification).__name__}")
        cdef int mqd = self._check_open()
        if nid != 0:
            _notifications[nid] = entry
        err = request_notify(mqd, signo, nid, _run_notification)
        if err != 0:
            if nid != 0:
                _notifications.pop(nid, None)
            if err == EBUSY:
                return False
            self._raise_oserror(err, "mq_notify")
        if self._notify_id != 0:
            # Dropping the old callback may run a __del__ that closes us.
            _notifications.pop(self._notify_id, None)
            if self._live is NULL:
                _notifications.pop(nid, None)  # a closed queue notifies no one
                self._check_open()
        self._notify_id = nid
        return True
