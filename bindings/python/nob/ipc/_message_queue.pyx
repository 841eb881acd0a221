# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, always_allow_keywords=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""POSIX named message queues for Python: a thin Cython shim over nob/message_queue.hpp."""

import numbers

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.exc cimport PyErr_CheckSignals
from libc.errno cimport EBADF, EBUSY
from libc.math cimport INFINITY
from libc.stdlib cimport free, malloc
from libcpp.string cimport string

from nob.ipc._semaphore import ArgumentTypeError, Flags
from nob.ipc._shared_memory import (
    _REQUIRED, _ClassSignature, _closed_error, _open_args, _refuse_pickle, _remove_name)


cdef extern from "_errors.hpp" namespace "nob_py":
    cdef void translate_error()


cdef extern from "<nob/message_queue.hpp>" namespace "nob" nogil:
    cdef cppclass named_message_queue:
        size_t max_messages()
        size_t max_message_size()
        int native_handle()
        bint linked_existing()
        bint unlink_on_destroy()
        void unlink_on_destroy(bint)
        void unlink() except +translate_error
        void unlink_if_owned()
        void close()
        @staticmethod
        bint remove(string name) except +translate_error
        @staticmethod
        bint exists(string name) except +translate_error


ctypedef void (*notify_fn)(long long) noexcept

cdef extern from "_mq_support.hpp" namespace "nob_py":
    named_message_queue* open_message_queue(
        string name, int policy, long long max_messages, long long max_message_size,
        bint read, bint write, unsigned int mode, bint same_uid) except +translate_error
    long long mq_deadline_after(double seconds) nogil
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


cdef long long _FOREVER = 0x7FFFFFFFFFFFFFFF
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


cdef class NamedMessageQueue:
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
    unlink_on_delete), the descriptor's close waits for the last waiter, and a waiter that ends without a message raises ValueError.
    """

    cdef named_message_queue* _mq
    cdef int _mqd  # -1 once close() has been called
    cdef object _name
    cdef bint _linked_existing
    cdef bint _unlink_on_delete
    cdef bint _block
    cdef bint _read
    cdef bint _write
    cdef long long _max_messages
    cdef long long _max_message_size
    cdef bint _close_pending
    cdef Py_ssize_t _inflight
    cdef long long _notify_id
    cdef bint _init_started  # set before argument conversion can run Python
    cdef object __weakref__
    # No instance __dict__: tells type checkers this class is a disjoint base
    # (PEP 800) without @disjoint_base in the stub, which older mypy lacks.
    __slots__ = ("__weakref__",)

    Flags = Flags
    __signature__ = _ClassSignature(
        ("name", _REQUIRED, False), ("max_messages", None, False),
        ("max_message_size", None, False), ("read", True, False), ("write", True, False),
        ("handle_existence", Flags.RAISE_IF_NOT_EXISTS, False),
        ("unlink_on_delete", None, False), ("mode", 0o600, True), ("same_uid_only", False, True))

    def __cinit__(self):
        self._mq = NULL
        self._mqd = -1
        self._name = None
        self._block = True

    def __init__(self, name, max_messages=None, max_message_size=None, read=True, write=True,
                 handle_existence=Flags.RAISE_IF_NOT_EXISTS, unlink_on_delete=None, *,
                 mode=0o600, same_uid_only=False):
        cdef named_message_queue* mq
        cdef string cname
        cdef int policy, unlink
        cdef unsigned int cmode
        cdef long long cmax, csize
        cdef bint r, w, same_uid
        if self._init_started:  # also when re-entered from the conversions below
            raise RuntimeError("NamedMessageQueue.__init__ may run only once")
        self._init_started = True
        cname, policy, unlink, cmode = _open_args(name, handle_existence, unlink_on_delete, mode)
        cmax = _check_limit("max_messages", max_messages)
        csize = _check_limit("max_message_size", max_message_size)
        r = _check_bool(read, "read")
        w = _check_bool(write, "write")
        if not (r or w):
            raise ValueError("read and write cannot both be False")
        same_uid = _check_bool(same_uid_only, "same_uid_only")
        py_name = cname.decode("ascii")
        try:
            mq = open_message_queue(cname, policy, cmax, csize, r, w, cmode, same_uid)
        except OSError as e:
            e.filename = py_name
            raise
        self._mq = mq
        self._mqd = mq.native_handle()
        self._name = py_name
        self._read = r
        self._write = w
        self._linked_existing = mq.linked_existing()
        if unlink >= 0:
            mq.unlink_on_destroy(unlink == 1)
        self._unlink_on_delete = mq.unlink_on_destroy()
        self._max_messages = mq.max_messages()
        self._max_message_size = mq.max_message_size()

    def __dealloc__(self):
        cdef named_message_queue* mq = self._mq
        self._mq = NULL
        self._mqd = -1
        if self._notify_id != 0 and _notifications is not None:
            _notifications.pop(self._notify_id, None)
        if mq is not NULL:
            del mq  # closes, and unlinks under the contract's rules

    cdef int _finish_close(self) except -1:
        cdef named_message_queue* mq = self._mq
        self._mq = NULL
        self._close_pending = False
        if mq is not NULL:
            del mq
        return 0

    cdef inline void _call_started(self):
        """Before a region without the GIL: close() must not free the queue under it.
        Counts inherited through fork() are kept: the thread that forked goes
        on in the child, maybe inside such a region (a signal handler)."""
        self._inflight += 1

    cdef int _call_ended(self) except -1:
        """After that region: the last one out finishes a close() that came meanwhile."""
        if self._inflight <= 0:  # never below 0
            return 0
        self._inflight -= 1
        if self._inflight == 0 and self._close_pending:
            self._finish_close()
        return 0

    cdef int _check_open(self) except -1:
        if self._mqd < 0:
            raise _closed_error("NamedMessageQueue", self._name)
        return self._mqd

    cdef object _stopped_by_close(self):
        return ValueError(f"NamedMessageQueue {self._name!r} was closed while waiting")

    @property
    def name(self):
        """The normalised name, with its leading '/' ("/jobs")."""
        return self._name

    @property
    def linked_existing_object(self):
        """True when this handle opened a queue that existed; False when it created it."""
        return self._linked_existing

    @property
    def unlink_on_delete(self):
        """True when close() (or deletion) will unlink the name."""
        return self._unlink_on_delete

    @unlink_on_delete.setter
    def unlink_on_delete(self, value):
        cdef bint on = _check_bool(value, "unlink_on_delete")
        self._check_open()
        self._mq.unlink_on_destroy(on)
        self._unlink_on_delete = on

    @property
    def closed(self):
        """True once close() has been called."""
        return self._mqd < 0

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
            raise _oserror(err, self._name)
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
            raise PermissionError(EBADF, "the queue was opened with write=False", self._name)
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
            raise PermissionError(EBADF, "the queue was opened with read=False", self._name)
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
        cdef named_message_queue* mq = self._mq
        cdef int r = _step(mq, sending, data, n, prio, buf, cap, _NOW, got, got_prio, &err)
        if r == 0:
            return 1
        if err != 0:
            raise _oserror(err, self._name)
        if t == 0.0 or not self._block:
            return 0
        deadline = _FOREVER if t < 0 else mq_deadline_after(t)
        self._call_started()
        try:
            while True:
                with nogil:
                    r = _step(mq, sending, data, n, prio, buf, cap, deadline, got, got_prio, &err)
                if r == 0:
                    return 1
                if r == 1:
                    if err != 0:
                        raise _oserror(err, self._name)
                    if self._close_pending:
                        raise self._stopped_by_close()
                    return 0
                PyErr_CheckSignals()  # a handler's exception propagates unchanged
                if self._close_pending:
                    raise self._stopped_by_close()
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
        self._check_open()
        if nid != 0:
            _notifications[nid] = entry
        err = request_notify(self._mqd, signo, nid, _run_notification)
        if err != 0:
            if nid != 0:
                _notifications.pop(nid, None)
            if err == EBUSY:
                return False
            raise _oserror(err, self._name)
        if self._notify_id != 0:
            # Dropping the old callback may run a __del__ that closes us.
            _notifications.pop(self._notify_id, None)
            if self._mqd < 0:
                _notifications.pop(nid, None)  # a closed queue notifies no one
                self._check_open()
        self._notify_id = nid
        return True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def unlink(self):
        """Remove the name now; the queue lives on while handles are open.

        After this, close() never unlinks (the name may belong to someone else).
        """
        self._check_open()
        try:
            self._mq.unlink()
        except OSError as e:
            e.filename = self._name
            raise

    def close(self):
        """Close the handle, unlinking the name when unlink_on_delete; idempotent.

        A registered notification is cancelled.  If receive()/send() calls
        are still in flight on this object (also ones inherited through
        fork(), which in a child may never end), only closing the descriptor
        waits for them: the object is closed and any unlink it owes is done at once.
        """
        if self._mqd < 0:
            return None
        self._mqd = -1
        if self._notify_id != 0:
            _notifications.pop(self._notify_id, None)
            self._notify_id = 0
        if self._inflight > 0:
            # The name goes now (close() unlinks when unlink_on_delete); the
            # descriptor stays for the waiters: the last one out closes it.
            self._mq.unlink_if_owned()
            self._close_pending = True
            return None
        self._finish_close()
        return None

    @staticmethod
    def remove(name):
        """Remove the message queue called `name`; False if there was none."""
        return _remove_name(_mq_remove, name)

    @staticmethod
    def exists(name):
        """True when a message queue called `name` exists."""
        return _remove_name(_mq_exists, name)

    def __repr__(self):
        kind = type(self).__name__
        if self._mqd < 0:
            return f"<{kind} {self._name!r} closed>"
        return (f"<{kind} {self._name!r} max_messages={self._max_messages} "
                f"max_message_size={self._max_message_size}>")

    def __reduce__(self):
        _refuse_pickle(self)


def _mq_remove(bytes cname):
    return named_message_queue.remove(cname)


def _mq_exists(bytes cname):
    return named_message_queue.exists(cname)
