# cython: language_level=3, binding=False, embedsignature=True, autotestdict=False, auto_pickle=False
# cython: boundscheck=False, wraparound=False, cdivision=True
# distutils: language = c++
"""asyncio waits for nob.ipc semaphores (NamedSemaphore and RobustSemaphore).

How a task waits, in short (docs/python.md, "asyncio", has the long version):

* A task first tries to take a unit at once (non-blocking). If it must wait,
  it joins the *channel* of its (event loop, semaphore) pair and awaits a
  plain future in FIFO order. No thread per waiter.
* One daemon helper thread per process (a second one past 127 awaited
  semaphores, up to _MAX_HELPERS, then polling) blocks in futex_waitv on the
  futex word of every awaited semaphore plus a private word of its own that
  is bumped when the set changes. When a word moves it tells the loop
  (loop.call_soon_threadsafe). It never takes a unit.
* The LOOP THREAD then wakes as many waiting tasks as there are units; each
  task takes its unit itself (sem.acquire(False)) when it resumes, and waits
  again (first in line) if someone else was faster. A future never carries a
  unit, so a task cancelled at any moment has taken nothing; a task that was
  woken and then cancelled hands its wake on (to the next task here, or to
  another process with FUTEX_WAKE).
* While a channel exists the semaphore is registered as a waiter on its
  wait word (+1 in the high 32 bits, as glibc's sem_wait does), so posts
  from any process issue FUTEX_WAKE, and the semaphore's in-flight counter
  is held, so close() defers the unmap until the last task is gone.
* Where futex_waitv is missing (ENOSYS), the layout is unknown (word address
  0) or NOB_ASYNC_WAIT=poll is set, the same helper polls the value of the
  awaited semaphores with a backoff from 1 ms to 20 ms.
* Robust semaphores also wake one task every 100 ms so that it retries:
  try_acquire reclaims the units of dead holders.
* A wake the helper took must never be kept from other processes by a loop
  that does not run: it is handed on (FUTEX_WAKE) when the loop is closed,
  when the loop has not run on_ready within 50 ms, and at interpreter exit
  (which also takes back this process's waiter counts). A forked child
  never touches the parent's waiter counts.
"""

from libc.stdint cimport uint32_t, uintptr_t
from libc.errno cimport ENOSYS

import atexit
import collections
import os
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


cdef enum:
    _SLOTS = 128                        # FUTEX_WAITV_MAX: the private word + 127 semaphores
cdef int _MAX_HELPERS = 4               # futex helpers; past 4 * 127 semaphores, poll
cdef long long _POLL_MIN_NS = 1000000   # polling backoff: 1 ms ...
cdef long long _POLL_MAX_NS = 20000000  # ... doubling up to 20 ms
cdef long long _RECLAIM_NS = 100000000  # robust semaphores: a retry every 100 ms
cdef long long _IDLE_NS = 500000000  # a helper with nothing to watch for that long ends
cdef long long _HAND_ON_NS = 50000000  # a loop that has not taken its wake-up by then: hand it on

cdef list _helpers = []      # this process's helper threads (_Helper)
cdef dict _channels = {}     # (id(loop), id(sem)) -> _Channel
cdef object _waitv = None    # None: not probed yet; then True/False


def _reset_after_fork():
    """In a forked child: no helper thread exists; start afresh on first use.

    Tasks inherited from the parent keep their entries, but the waiter
    counts those entries added to semaphores are the parent's: the child
    must never take them away (the parent's helper would miss posts). The
    helper's copies of the words' pages were not inherited (MADV_DONTFORK,
    see async_dup_word): their addresses are forgotten, never read or
    unmapped, and the inherited channels read the semaphore's value."""
    global _helpers, _channels
    cdef _Helper h
    cdef _Entry e
    cdef _Channel ch
    for h in _helpers:
        for e in h.entries:
            e.counted = False
            e.addr = 0
    for ch in _channels.values():
        ch.addr = 0
    _helpers = []
    _channels = {}


os.register_at_fork(after_in_child=_reset_after_fork)


def _at_exit():
    """Interpreter exit: tasks still waiting now (on a loop that was stopped
    or closed, or in a daemon thread) never run again. Stop counting as a
    waiter (a count left in the semaphore would make every post, forever,
    a futex call) and hand on a wake our helper may have taken for them."""
    cdef _Helper h
    cdef _Entry e
    for h in _helpers:
        for e in h.entries:
            if e.counted:
                _uncount(e)
                async_wake(e.addr, 1, False)


atexit.register(_at_exit)


cdef bint _poll_forced():
    return os.environ.get("NOB_ASYNC_WAIT") == "poll"


cdef bint _have_waitv():
    global _waitv
    if _waitv is None:
        _waitv = bool(async_have_waitv())
    return _waitv


def _wait_method():
    """'futex_waitv' or 'poll': how new waits of this process are watched (for tests and docs)."""
    return "poll" if _poll_forced() or not _have_waitv() else "futex_waitv"


def _thread_count():
    """How many helper threads this process has started (for tests)."""
    return len(_helpers)


cdef class _Entry:
    """One awaited semaphore as a helper thread sees it."""
    cdef uintptr_t addr      # its wait word, in our own copy of the page; 0: polled
    cdef uint32_t expected   # the helper waits while the futex word holds this
    cdef bint armed          # True while the helper should watch it
    cdef bint counted        # registered as a waiter on the wait word
    cdef bint removed
    cdef bint in_wait        # in the set of the helper's current futex_waitv
    cdef bint reclaim        # robust: retry every _RECLAIM_NS
    cdef long long next_tick
    cdef bint delivering     # told its loop; the loop has not run on_ready yet
    cdef long long hand_on_at
    cdef _Channel channel
    cdef _Helper helper


cdef class _Helper:
    """A daemon thread that waits on many futex words at once and wakes loops."""
    cdef uint32_t word       # private: bumped (async_poke) when the set changes
    cdef list entries
    cdef int futex_entries
    cdef bint sleeping
    cdef long long poll_ns
    cdef long long idle_since  # 0: it has entries
    cdef object thread

    def __cinit__(self):
        self.entries = []
        self.poll_ns = _POLL_MIN_NS

    cdef void poke(self):
        if self.sleeping:
            async_poke(<uintptr_t>&self.word)
        else:
            self.word += 1  # read before its next wait: that wait returns at once

    def run(self):
        """The thread's body: build the wait set, wait without the GIL, notify loops."""
        cdef uintptr_t addrs[_SLOTS]
        cdef uint32_t vals[_SLOTS]
        cdef unsigned n
        cdef int r = 0, err = 0
        cdef unsigned i
        cdef long long timeout, now
        cdef bint polled
        cdef _Entry e
        cdef _Channel ch
        cdef uintptr_t me = <uintptr_t>&self.word
        slots = [None] * _SLOTS
        while True:
            if not self.entries:
                # Nothing to watch (and no futex left: those were left after
                # the last wait). Idle long enough: end, so that a process
                # that awaits nothing has no thread of ours (a fork then
                # copies a single-threaded process). Decided with the GIL
                # held: a loop that registers later starts a new helper.
                now = _monotonic_ns()
                if self.idle_since == 0:
                    self.idle_since = now
                elif now - self.idle_since >= _IDLE_NS:
                    if self in _helpers:
                        _helpers.remove(self)
                    return
            else:
                self.idle_since = 0
            vals[0] = async_load(me)
            addrs[0] = me
            n = 1
            timeout = -1
            polled = False
            ready = []
            now = _monotonic_ns()
            for e in list(self.entries):
                if e.delivering and not e.removed:
                    if now >= e.hand_on_at:
                        # Its loop is busy or stopped: the wake we took may be a
                        # post's only one. Hand it on (once), so that waiters
                        # of other processes do not wait for that loop.
                        e.delivering = False
                        if e.counted:
                            async_wake(e.addr, 1, False)
                    elif timeout < 0 or e.hand_on_at - now < timeout:
                        timeout = e.hand_on_at - now
                if not e.armed or e.removed:
                    continue
                if e.reclaim:
                    if now >= e.next_tick:
                        ready.append(e)
                        continue
                    if timeout < 0 or e.next_tick - now < timeout:
                        timeout = e.next_tick - now
                if e.addr == 0:
                    polled = True
                    ch = e.channel
                    if ch is not None and ch.available() > 0:
                        ready.append(e)
                elif async_load(e.addr) != e.expected:
                    ready.append(e)
                else:
                    addrs[n] = e.addr
                    vals[n] = e.expected
                    slots[n] = e
                    e.in_wait = True
                    n += 1
            if ready:
                _notify(ready)
                self.poll_ns = _POLL_MIN_NS
                if timeout < 0 or _HAND_ON_NS < timeout:
                    timeout = _HAND_ON_NS  # see `delivering` above
            if polled:
                if timeout < 0 or self.poll_ns < timeout:
                    timeout = self.poll_ns
                self.poll_ns = min(self.poll_ns * 2, _POLL_MAX_NS)
            if timeout < 0 or timeout > _IDLE_NS:
                # Never an endless wait: the last entry may leave while we
                # wait (it does not wake us), and then we must notice.
                timeout = _IDLE_NS
            self.sleeping = True
            if n == 1:
                with nogil:
                    async_wait_private(me, vals[0], timeout)
            else:
                with nogil:
                    r = async_waitv(addrs, vals, n, timeout, &err)
            self.sleeping = False
            for i in range(1, n):
                e = slots[i]
                slots[i] = None
                e.in_wait = False
                if e.removed:
                    # It may have eaten a post's only wake after its last task
                    # left: hand it on (a spurious wake is harmless).
                    async_wake(e.addr, 1, False)
                    _drop_word(e)
            if n > 1 and r < 0 and err == ENOSYS:
                self.fall_back_to_polling()

    cdef void fall_back_to_polling(self):
        global _waitv
        cdef _Entry e
        _waitv = False
        for e in self.entries:
            if e.addr != 0:
                _uncount(e)
                _drop_word(e)
                e.channel.addr = 0
        self.futex_entries = 0


cdef void _drop_word(_Entry e):
    if e.addr != 0:
        async_drop_word(e.addr)
        e.addr = 0


cdef void _uncount(_Entry e):
    if e.counted:
        e.counted = False
        async_count_waiter(e.addr, -1)


cdef _Helper _new_helper():
    """A helper, counted in _helpers at once; its thread is started later,
    by _start_thread, once the entry that needed it is in place."""
    cdef _Helper h = _Helper.__new__(_Helper)
    _helpers.append(h)
    return h


cdef void _start_thread(_Helper h) except *:
    """Starts the helper's thread if nobody has. Thread.start() releases the
    GIL: by then `h` is in _helpers, so other loops that register meanwhile
    join it instead of starting helpers of their own."""
    import threading
    if h.thread is not None:
        return
    h.thread = threading.Thread(target=h.run, name="nob.ipc-async", daemon=True)
    h.thread.start()


cdef _Entry _register(_Channel ch, uintptr_t addr, bint reclaim):
    """Gives `ch` to a helper: a futex slot when one is free, else polling.
    Nothing here releases the GIL until the entry is complete (the helper
    count stays within _MAX_HELPERS however loops interleave)."""
    cdef _Helper h = None
    cdef _Helper c
    cdef _Entry e = _Entry.__new__(_Entry)
    e.channel = ch
    e.reclaim = reclaim
    if addr != 0:
        for c in _helpers:
            if c.futex_entries < _SLOTS - 1:
                h = c
                break
        if h is None and len(_helpers) < _MAX_HELPERS:
            h = _new_helper()
    if h is not None:
        addr = async_dup_word(addr)  # our own mapping of the word (see run())
    if h is None or addr == 0:
        addr = 0
        h = _helpers[0] if _helpers else _new_helper()
    else:
        h.futex_entries += 1
        e.counted = True
        async_count_waiter(addr, 1)  # from now on posts issue FUTEX_WAKE
    e.addr = addr
    ch.addr = addr
    e.helper = h
    h.entries.append(e)
    return e


cdef void _unregister(_Entry e):
    cdef _Helper h = e.helper
    e.removed = True
    e.armed = False
    h.entries.remove(e)
    if e.addr != 0:
        h.futex_entries -= 1
    _uncount(e)
    e.channel = None  # the helper may still hold `e` until it next wakes
    if not e.in_wait:
        _drop_word(e)
    # Else no poke: waking the helper now would only make it fight the loop
    # for the GIL. It leaves that futex the next time it wakes (its own
    # copy of the page stays mapped until then) and, if that wake was a
    # post meant for some other waiter, hands it on.


cdef void _notify(list ready):
    """Disarms the ready entries and calls on_ready on each one's loop thread.

    call_soon_threadsafe may release the GIL, and other loops' threads then
    change entries (a task leaves: its entry loses its channel). So the
    whole round is decided first, from a snapshot taken while this thread
    holds the GIL: which loop, which channels, what to hand on. After the
    first call nothing here reads an entry again."""
    cdef _Entry e
    cdef _Channel ch
    cdef long long hand_on_at = _monotonic_ns() + _HAND_ON_NS
    rounds = {}  # loop -> ([channels], [entries])
    for e in ready:
        ch = e.channel
        if ch is None:
            continue  # removed meanwhile
        e.armed = False
        e.next_tick = _monotonic_ns() + _RECLAIM_NS
        e.delivering = True
        e.hand_on_at = hand_on_at
        batch = rounds.get(ch.loop)
        if batch is None:
            batch = rounds[ch.loop] = ([], [])
        batch[0].append(ch)
        batch[1].append(e)
    for loop, batch in rounds.items():
        try:
            loop.call_soon_threadsafe(_deliver, batch[0])
        except Exception:
            # That loop is closed (RuntimeError) or refuses: its tasks will
            # never run again. We may hold a post's only wake: hand it on,
            # and stop counting as a waiter, so that other processes'
            # waiters are never starved.
            for e in batch[1]:
                _give_up(e)


cdef void _give_up(_Entry e):
    """The loop of `e` cannot be told: stop counting, hand the wake on."""
    e.delivering = False
    if e.counted:
        _uncount(e)
        async_wake(e.addr, 1, False)


def _deliver(list channels):
    """On the loop's thread: each channel wakes its tasks. An error in one
    (there should be none) goes to the loop's exception handler and never
    keeps the others from their wake-up."""
    cdef _Channel ch
    for ch in channels:
        try:
            ch.on_ready(True)
        except Exception as exc:
            ch.loop.call_exception_handler({
                "message": "nob.ipc asyncio: waking the tasks of a semaphore failed",
                "exception": exc,
            })


cdef object _WOKEN = True     # a future's result: wake up and try to take a unit
cdef object _EXPIRED = False  # a future's result: the deadline passed


cdef class _Channel:
    """The tasks of one event loop that await one semaphore, in FIFO order.

    Used on the loop's thread only (the helper thread only calls on_ready
    through loop.call_soon_threadsafe)."""
    cdef object loop
    cdef object sem
    cdef object waiters        # deque of futures; done ones are skipped
    cdef Py_ssize_t members    # tasks inside acquire()
    cdef Py_ssize_t live       # futures in `waiters` not done yet
    cdef Py_ssize_t woken      # tasks woken that have not tried yet
    cdef uintptr_t addr        # the wait word (0: none, read sem.value)
    cdef bint reclaim
    cdef _Entry entry

    cdef Py_ssize_t available(self):
        """Units free now; on an error (closed) enough to wake every task."""
        if self.addr != 0 and not self.reclaim:
            return async_load(self.addr)  # glibc: the value is the futex word
        try:
            return self.sem.value
        except Exception:
            return self.live + self.woken + 1

    cdef void arm(self):
        """Asks the helper to watch the word (all woken tasks have tried)."""
        cdef _Entry e = self.entry
        cdef uint32_t snap
        if e is None or e.armed:
            return
        snap = async_load(self.addr) if self.addr != 0 else 0
        if self.available() > 0:
            self.loop.call_soon(self.on_ready, False)  # read before `snap` moved
            return
        e.expected = snap
        e.armed = True
        if self.reclaim:
            e.next_tick = _monotonic_ns() + _RECLAIM_NS
        e.helper.poll_ns = _POLL_MIN_NS
        e.helper.poke()

    def on_ready(self, bint tick):
        """The word moved (or a reclaim tick): wake as many tasks as there are units."""
        cdef Py_ssize_t units, want, woke = 0
        if self.entry is None:
            return  # every task has left
        self.entry.armed = False
        self.entry.delivering = False
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
        if self.entry is None:
            return
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(_WOKEN)
                self.live -= 1
                self.woken += 1

    cdef void pass_on(self):
        """Our helper may have eaten a post's only wake: wake one more waiter of any process."""
        if self.entry is not None and self.entry.counted:
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
            self.on_ready(False)  # give its wake to the next task, or pass it on


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
    cdef uintptr_t addr
    if ch is None:
        addr = 0 if _poll_forced() or not _have_waitv() else <uintptr_t>sem._wait_word_address()
        ch = _Channel.__new__(_Channel)
        ch.loop = loop
        ch.sem = sem
        ch.waiters = collections.deque()
        ch.reclaim = reclaim
        ch.entry = _register(ch, addr, reclaim)
        _channels[key] = ch
    ch.members += 1
    _start_thread(ch.entry.helper)  # may release the GIL: all is in place
    return ch


cdef void _leave(_Channel ch):
    ch.members -= 1
    if ch.members > 0 or ch.entry is None:
        return
    if ch.addr != 0 and ch.available() > 0:
        ch.pass_on()
    _unregister(ch.entry)
    ch.entry = None
    _channels.pop((id(ch.loop), id(ch.sem)), None)


cdef object _get_running_loop = None


async def acquire(sem, double timeout, bint reclaim=False):
    """The coroutine behind sem.acquire_async(timeout) (timeout < 0: forever).

    `sem` offers acquire(False), value, _wait_word_address() and
    _async_hold(bool); arguments were checked by the caller."""
    global _get_running_loop
    cdef _Channel ch = None
    cdef double deadline = -1.0
    cdef bint first = False
    cdef bint woken
    cdef _Deadline timer
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
    sem._async_hold(True)  # the mapping stays while the helper may read it
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
        sem._async_hold(False)


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
    set only here (`T.__new__(T)` above, and Cython for an async def's
    closure)."""
    import gc
    for t in (_Entry, _Helper, _Channel, _Deadline):
        seal_type(t)
    for c in (acquire(None, 0.0), aenter(None), aexit(None)):  # never started
        seal_cython_type_of(c)
        for r in gc.get_referents(c):
            if type(r).__module__ == __name__:  # the closure of the async def
                seal_type(type(r))
        c.close()


_seal()
del _seal
