# cython: language_level=3, binding=False, embedsignature=True, embedsignature.format=clinic, autotestdict=False, auto_pickle=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""asyncio waits for nob.ipc semaphores (NamedSemaphore and RobustSemaphore).

How a task waits, in short (docs/python.md, "asyncio", has the long version):

* A task first tries to take a unit at once (non-blocking). If it must wait,
  it joins the *channel* of its (event loop, semaphore) pair and awaits a
  plain future in FIFO order. No thread per waiter.
* While a channel exists, its semaphore's wait word is watched by one of
  three back ends (a _Watch), chosen once per channel from
  async_wait_mode():
  - "uring" (_async_uring.pxi): the loop's own io_uring holds one
    IORING_OP_FUTEX_WAIT on the word; the ring's descriptor wakes the
    loop (add_reader). One hop, no thread.
  - "thread" (_async_thread.pxi): helper threads block in futex_waitv on
    the words and tell the loop (call_soon_threadsafe).
  - "poll": the same helper reads the semaphores' values, with a backoff
    from 1 ms to 20 ms (no futex_waitv, or no known wait word).
  A watch never takes a unit: it tells the channel that the word moved.
* The LOOP THREAD then wakes as many waiting tasks as there are units; each
  task takes its unit itself (sem.acquire(False)) when it resumes, and waits
  again (first in line) if someone else was faster. A future never carries a
  unit, so a task cancelled at any moment has taken nothing; a task that was
  woken and then cancelled hands its wake on (to the next task here, or to
  another process with FUTEX_WAKE).
* While a futex watch exists the semaphore is registered as a waiter on its
  wait word (+1 in the high 32 bits, as glibc's sem_wait does), so posts
  from any process issue FUTEX_WAKE, and the semaphore's in-flight counter
  is held, so close() defers the unmap until the last task is gone.
* Robust semaphores also wake one task every 100 ms (a call_later tick on
  the loop) so that it retries: try_acquire reclaims the units of dead
  holders.
* A post wakes ONE waiter. A wake we took must never be kept from other
  processes by a loop that does not run: it is handed on (FUTEX_WAKE) when
  the loop has not read it _HAND_ON_NS later (in uring mode the kernel does
  it, by a chain linked to the wait), when the loop is closed, and at
  interpreter exit (which also takes back this process's waiter counts). A
  forked child never touches the parent's waiter counts, rings or threads.

The interface with the semaphore classes (their shared base _handle.pyx
writes it down too) is small: acquire(sem, timeout, reclaim), aenter,
aexit and closing(sem) here (reclaim: a RobustSemaphore, whose release
wakes every waiter and whose dead holders are looked for); on the
semaphore, which must be a nob.ipc Handle (TypeError otherwise: a forged
object could hand the ring or the helper any address), acquire(False),
closed, and through C only: _wait_word() (the address of the 64-bit wait
word: futex word low, waiter count high; 0 when unknown) and
_call_started() / _call_ended() (the mapping stays while a task may read
it: close() defers the unmap until the matching end).
"""

from cpython.ref cimport PyObject
from nob.ipc._handle cimport Handle
from cpython.pythread cimport PyThread_get_thread_ident
from libc.stdint cimport uint32_t, uint64_t, uintptr_t
from libc.errno cimport ENOSYS, EAGAIN, EBUSY, EINTR

cdef extern from "<cerrno>":
    enum: ECANCELED

import atexit
import collections
import contextvars
import os
import weakref
from time import monotonic as _monotonic, monotonic_ns as _monotonic_ns


cdef extern from "_async_support.hpp" namespace "nob_py" nogil:
    uint32_t async_load(uintptr_t addr)
    void async_count_waiter(uintptr_t addr, int delta)
    void async_wake(uintptr_t addr, int n, bint is_private)
    void async_poke(uintptr_t addr)
    int async_waitv(const uintptr_t* addrs, const uint32_t* expected, unsigned n,
                    long long timeout_ns, int* err)
    bint async_have_waitv()
    void async_wait_private(uintptr_t addr, uint32_t expected, long long timeout_ns)
    uintptr_t async_dup_word(uintptr_t addr)
    void async_drop_word(uintptr_t dup)


cdef extern from "_sealed.hpp" namespace "nob_py":
    int seal_type(object t) except -1
    int seal_cython_type_of(object obj) except -1


cdef extern from "_async_uring.hpp" namespace "nob_py" nogil:
    cdef cppclass async_ring:
        int open(unsigned sq_entries, unsigned cq_entries, uint32_t flags)
        void close()
        void drop_in_child()
        int fd()
        bint queued()
        bint has_room(unsigned n)
        void queue_futex_wait(uintptr_t addr, uint32_t expected, uint64_t serial,
                              long long hand_on_ns)
        void queue_cancel(uint64_t target, uint64_t serial)
        int enter(unsigned wait_nr, long long timeout_ns, bint getevents)
        bint pop(uint64_t& user_data, int& res)
        bint overflowed()
    int async_uring_probe(uint32_t flags)
    enum:
        uring_wait
        uring_timeout
        uring_wake
        uring_cancel


cdef enum:
    _SLOTS = 128                        # FUTEX_WAITV_MAX: the private word + 127 semaphores
cdef double _RECLAIM_S = 0.1            # robust semaphores: a retry every 100 ms
cdef long long _HAND_ON_NS = 10000000   # a wake a loop has not read by then goes on

cdef dict _channels = {}     # (id(loop), id(sem)) -> _Channel
cdef object _NO_CONTEXT = contextvars.Context()  # our callbacks read no context variable

_MODES = ("uring", "thread", "poll")  # best first


def async_wait_mode():
    """How this process's awaits wait: "uring", "thread" or "poll".

    "uring": each event loop's own io_uring waits on the semaphores' futex
    words (Linux 6.7+, io_uring allowed); "thread": helper threads wait in
    futex_waitv (Linux 5.16+); "poll": a helper thread polls the values.
    Without NOB_ASYNC_WAIT, the best mode this kernel allows (tried once
    per process). NOB_ASYNC_WAIT=uring|thread|poll asks for a mode; where
    the kernel refuses it, the next one in that order runs, and this says
    which. Read when a task starts waiting on a semaphore that no task of
    its loop awaits yet (so a change applies to new waits only).

    Raises ValueError when NOB_ASYNC_WAIT holds anything else."""
    forced = os.environ.get("NOB_ASYNC_WAIT", "")
    if forced and forced not in _MODES:
        raise ValueError(f"NOB_ASYNC_WAIT must be uring, thread or poll, not {forced!r}")
    i = _MODES.index(forced) if forced else 0
    if i == 0 and not _have_uring():
        i = 1
    if i == 1 and not _have_waitv():
        i = 2
    return _MODES[i]


cdef class _Watch:
    """How one channel's wait word is watched: the back end's half of a
    channel. The base does nothing (a subclass says how)."""
    cdef _Channel channel
    cdef uintptr_t addr      # the word the back end waits on (0: none, read sem.value)
    cdef bint armed          # a wait for a change of the word is in place
    cdef bint counted        # registered as a waiter in the word's high half

    cdef void count(self, uintptr_t addr):
        self.addr = addr
        self.counted = True
        async_count_waiter(addr, 1)

    cdef void uncount(self):
        if self.counted:
            self.counted = False
            async_count_waiter(self.addr, -1)

    cdef void arm(self, uint32_t expected):
        """Watch the word while it holds `expected`; tell the channel when it moves."""
        pass

    cdef void delivered(self):
        """The channel ran on_ready."""
        pass

    cdef void started(self) except *:
        """A task joined (the channel is complete): start what must run."""
        pass

    cdef void leave(self):
        """The last task left: stop watching, stop counting."""
        pass

    cdef void forget_in_child(self):
        """In a forked child: the counts and waits are the parent's."""
        self.counted = False
        self.armed = False

    cdef void at_exit(self):
        """Interpreter exit with tasks still waiting: stop counting as a
        waiter (a count left in the semaphore would make every post, for
        ever, a futex call) and hand on a wake we may have taken for them."""
        if self.counted:
            self.uncount()
            async_wake(self.addr, 1, False)


include "_async_thread.pxi"
include "_async_uring.pxi"


def _reset_after_fork():
    """In a forked child: no helper thread and no ring of the parent's is
    ours; start afresh on first use.

    Tasks inherited from the parent keep their channels, but the waiter
    counts those channels added to semaphores are the parent's: the child
    must never take them away (the parent would miss posts). The helpers'
    copies of the words' pages and the rings' queues were not inherited
    (MADV_DONTFORK): never read or unmapped here; the rings' descriptors
    are closed; inherited channels read the semaphore's value."""
    global _helpers, _channels, _rings
    cdef _Channel ch
    cdef _Ring ring
    for ring in _rings.values():
        ring.drop_in_child()
    for ch in _channels.values():
        if ch.watch is not None:
            ch.watch.forget_in_child()
        ch.addr = 0
    _helpers = []
    _channels = {}
    _rings = {}


os.register_at_fork(after_in_child=_reset_after_fork)


def _at_exit():
    """Interpreter exit: tasks still waiting now (on a loop that was stopped
    or closed, or in a daemon thread) never run again."""
    cdef _Channel ch
    for ch in list(_channels.values()):
        if ch.watch is not None:
            ch.watch.at_exit()


atexit.register(_at_exit)


cdef void _wake_channels(list channels):
    """On the loop's thread: each channel wakes its tasks. An error in one
    (there should be none) goes to the loop's exception handler and never
    keeps the others from their wake-up."""
    cdef _Channel ch
    for ch in channels:
        try:
            ch.ready(False, True)
        except Exception as exc:
            ch.loop.call_exception_handler({
                "message": "nob.ipc asyncio: waking the tasks of a semaphore failed",
                "exception": exc,
            })


def _deliver(list channels):
    """_wake_channels, for loop.call_soon_threadsafe (thread mode)."""
    _wake_channels(channels)


cdef object _WOKEN = True     # a future's result: wake up and try to take a unit
cdef object _EXPIRED = False  # a future's result: the deadline passed


cdef class _Channel:
    """The tasks of one event loop that await one semaphore, in FIFO order.

    Used on the loop's thread only (a helper thread only calls on_ready
    through loop.call_soon_threadsafe; a ring reads its completions on the
    loop's thread)."""
    cdef object loop
    cdef object sem
    cdef object waiters        # deque of futures; done ones are skipped
    cdef Py_ssize_t members    # tasks inside acquire()
    cdef Py_ssize_t live       # futures in `waiters` not done yet
    cdef Py_ssize_t woken      # tasks woken that have not tried yet
    cdef uintptr_t addr        # the wait word (0: none, read sem.value)
    cdef bint reclaim          # robust: look for dead holders (tick) and read sem.value
    cdef _Watch watch          # None once every task has left
    cdef object tick           # robust: the pending reclaim tick (a TimerHandle)
    cdef object teardown_soon  # the Handle of a teardown() to come (members is 0)
    cdef unsigned long thread  # the loop's thread, as the last task to join saw it

    cdef Py_ssize_t available(self):
        """Units free now; on an error (closed) enough to wake every task."""
        if self.addr != 0 and not self.reclaim:
            return async_load(self.addr)  # glibc: the value is the futex word
        try:
            return self.sem.value
        except Exception:
            return self.live + self.woken + 1

    cdef void arm(self):
        """Asks the watch to wait for the word to move (all woken tasks have tried)."""
        cdef _Watch w = self.watch
        cdef uint32_t snap
        if w is None:
            return
        if self.reclaim and self.tick is None:
            self.tick = self.loop.call_later(_RECLAIM_S, self.on_tick)
        if w.armed:
            return  # still waiting for the word to move
        snap = async_load(self.addr) if self.addr != 0 else 0
        if self.available() > 0:
            self.loop.call_soon(self.on_ready, False)  # read before `snap` moved
            return
        w.arm(snap)

    def on_tick(self):
        """Robust: time to look for dead holders (a task retries)."""
        self.tick = None
        if self.watch is not None and self.woken == 0 and self.live > 0:
            self.ready(True)

    def on_ready(self, bint tick):
        """ready(), for loop.call_soon."""
        self.ready(tick)

    cdef void ready(self, bint tick, bint moved=False) except *:
        """The word moved (`moved`: told by the watch), a reclaim tick, or a
        wake handed back: wake as many tasks as there are units."""
        cdef Py_ssize_t units, want, woke = 0
        if self.watch is None:
            return  # every task has left
        self.watch.delivered()
        if moved and self.reclaim:
            # A RobustSemaphore's word moves on a release: wake one task, it
            # tries (reading the value would be a system call per holder);
            # arm() reads the value when the woken tasks have tried.
            units = self.woken + 1
        else:
            units = self.available()
        want = units - self.woken
        if want <= 0 and tick and self.reclaim and self.woken == 0:
            want = 1  # a dead holder's units come back through try_acquire
        while woke < want and self.waiters:
            fut = self.waiters.popleft()
            if fut.done():
                continue
            fut.set_result(_WOKEN)
            self.live -= 1
            self.woken += 1
            woke += 1
        if units > self.woken and woke < want:
            self.pass_on()  # units nobody here will take
        if self.woken == 0 and self.live > 0:
            self.arm()

    def on_closed(self):
        """close() was called: wake every task, so that each sees ValueError."""
        if self.watch is None:
            return
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(_WOKEN)
                self.live -= 1
                self.woken += 1

    def teardown(self):
        """The last task has left (and none came back since): stop watching,
        and let the semaphore unmap (this channel held it)."""
        cdef _Watch w = self.watch
        self.teardown_soon = None
        if self.members > 0 or w is None:
            return
        if self.tick is not None:
            self.tick.cancel()
            self.tick = None
        if not self.reclaim and self.addr != 0 and self.available() > 0:
            self.pass_on()
        self.watch = None
        w.leave()
        key = (id(self.loop), id(self.sem))
        if _channels.get(key) is self:
            del _channels[key]
        (<Handle>self.sem)._call_ended()

    cdef void pass_on(self):
        """Our watch may have eaten a post's only wake: wake one more waiter
        of any process. (A RobustSemaphore's release wakes every waiter:
        nothing to pass on.)"""
        if not self.reclaim and self.watch is not None and self.watch.counted:
            async_wake(self.addr, 1, False)

    cdef void enqueue(self, fut, bint first):
        if first:
            self.waiters.appendleft(fut)
        else:
            self.waiters.append(fut)
        self.live += 1
        if self.woken == 0:
            self.arm()

    cdef void tried(self):
        """A woken task has made its attempt."""
        self.woken -= 1
        if self.woken == 0 and self.live > 0:
            self.arm()

    cdef void abandon(self, fut):
        """The task awaiting `fut` is leaving (cancelled, closed) without trying."""
        if not fut.done():
            self.live -= 1
            try:
                fut.cancel()
            except RuntimeError:
                pass  # its loop is closed (the coroutine is being collected)
        elif fut.cancelled():
            self.live -= 1
        elif fut.result() is _WOKEN:
            self.woken -= 1
            self.ready(False)  # give its wake to the next task, or pass it on


cdef class _Deadline:
    """Ends one wait at a time.monotonic() deadline, never early (uvloop's
    clock counts whole milliseconds, so its timers may fire a little early)."""
    cdef _Channel ch
    cdef object fut
    cdef double at
    cdef object handle

    def fire(self):
        cdef double left = self.at - _monotonic()
        if left > 0.0:
            self.handle = self.ch.loop.call_later(max(left, 0.001), self.fire)
        elif not self.fut.done():
            self.fut.set_result(_EXPIRED)
            self.ch.live -= 1

    cdef void cancel(self):
        self.handle.cancel()


cdef _Deadline _deadline(_Channel ch, fut, double at):
    cdef _Deadline d = _Deadline.__new__(_Deadline)
    d.ch = ch
    d.fut = fut
    d.at = at
    d.handle = ch.loop.call_later(max(at - _monotonic(), 0.0), d.fire)
    return d


cdef _Channel _join(loop, sem, bint reclaim):
    key = (id(loop), id(sem))
    cdef _Channel ch = _channels.get(key)
    if ch is None:
        ch = _Channel.__new__(_Channel)
        ch.loop = loop
        ch.sem = sem
        ch.waiters = collections.deque()
        ch.reclaim = reclaim
        ch.watch = _watch_for(ch, loop, sem, reclaim)
        ch.addr = ch.watch.addr
        _channels[key] = ch
        (<Handle>sem)._call_started()  # the channel's own hold, until its teardown
    elif ch.teardown_soon is not None:
        ch.teardown_soon.cancel()  # back before its teardown: keep it
        ch.teardown_soon = None
    ch.members += 1
    ch.thread = PyThread_get_thread_ident()  # (tasks run on their loop's thread)
    ch.watch.started()  # may release the GIL (Thread.start): all is in place
    return ch


cdef _Watch _watch_for(_Channel ch, loop, sem, bint reclaim):
    """The back end for a new channel, by async_wait_mode(): the loop's ring
    (a loop that cannot watch a descriptor, or a ring that cannot be made,
    falls back to a helper thread), a helper's futex slot, or polling (also
    when the semaphore's wait word is not known)."""
    cdef _Ring ring
    cdef uintptr_t addr
    mode = async_wait_mode()
    addr = 0 if mode == "poll" else (<Handle>sem)._wait_word()
    if addr != 0 and mode == "uring":
        ring = _ring_for(loop)
        if ring is not None:
            # A RobustSemaphore's release wakes every waiter: nothing to hand on.
            return _uring_watch(ch, ring, addr, not reclaim)
    return _register(ch, addr)


cdef void _leave(_Channel ch):
    """A task leaves. The last one's channel is torn down on the loop's next
    turn, not at once: the woken task goes on first (tearing a ring's watch
    down means system calls), and a task of that loop that awaits the same
    semaphore again meanwhile finds the channel still in place. Outside the
    loop's thread (a coroutine collected elsewhere) it is torn down at once."""
    ch.members -= 1
    if ch.members > 0 or ch.watch is None or ch.teardown_soon is not None:
        return
    if PyThread_get_thread_ident() == ch.thread:
        try:
            ch.teardown_soon = ch.loop.call_soon(ch.teardown, context=_NO_CONTEXT)
            return
        except RuntimeError:
            pass  # the loop is closed
    ch.teardown()


cdef object _get_running_loop = None


async def acquire(sem, double timeout, bint reclaim=False):
    """The coroutine behind sem.acquire_async(timeout) (timeout < 0: forever).

    `sem` is a Handle (checked here: TypeError otherwise); the other
    arguments were checked by the caller."""
    global _get_running_loop
    cdef _Channel ch = None
    cdef double deadline = -1.0
    cdef bint first = False
    cdef bint woken
    cdef _Deadline timer
    cdef Handle held
    if not isinstance(sem, Handle):
        raise TypeError(f"acquire_async needs a nob.ipc semaphore, not {type(sem).__name__}")
    held = <Handle>sem
    if sem.acquire(False):  # ValueError when closed
        return True
    if timeout == 0.0:
        return False
    if _get_running_loop is None:
        import asyncio
        _get_running_loop = asyncio.get_running_loop
    loop = _get_running_loop()
    if timeout > 0.0:
        deadline = _monotonic() + timeout
    held._call_started()  # the mapping stays while the ring or helper may read it
    try:
        ch = _join(loop, sem, reclaim)
        if sem.closed:
            # close() came while we joined (Thread.start releases the GIL, an
            # allocation may run a __del__) and found no channel to wake:
            # fail now, as the tasks it wakes do.
            sem.acquire(False)  # ValueError: operation on a closed ...
        while True:
            fut = loop.create_future()
            ch.enqueue(fut, first)
            timer = _deadline(ch, fut, deadline) if deadline >= 0.0 else None
            try:
                await fut
            except BaseException:
                ch.abandon(fut)
                raise
            finally:
                if timer is not None:
                    timer.cancel()
            woken = fut.result() is _WOKEN
            try:
                if sem.acquire(False):
                    return True
            finally:
                if woken:
                    ch.tried()
            if not woken:
                return False  # the deadline passed
            first = True  # someone was faster: wait again, first in line
    finally:
        if ch is not None:
            _leave(ch)
        held._call_ended()


async def aenter(sem, bint reclaim=False):
    """The coroutine behind `async with sem:` (acquire_async() then the semaphore)."""
    await acquire(sem, -1.0, reclaim)
    return sem


async def aexit(sem):
    """The coroutine behind the end of `async with sem:` (release one unit)."""
    sem.release()


def closing(sem):
    """close() was called while tasks await `sem`: wake them (they raise ValueError)."""
    cdef _Channel ch
    for ch in list(_channels.values()):
        if ch.sem is sem:
            try:
                ch.loop.call_soon_threadsafe(ch.on_closed)
            except RuntimeError:
                pass


def _seal():
    """Python may reach these types (threading.enumerate(), the loop's
    handles, a coroutine's referents) but never make one: their fields are
    set only here (`T.__new__(T)`, and Cython for an async def's closure)."""
    import gc
    for t in (_Watch, _Entry, _Helper, _Ring, _UringWatch, _Channel, _Deadline):
        seal_type(t)
    for c in (acquire(None, 0.0), aenter(None), aexit(None)):  # never started
        seal_cython_type_of(c)
        for r in gc.get_referents(c):
            if type(r).__module__ == __name__:  # the closure of the async def
                seal_type(type(r))
        c.close()


_seal()
del _seal
