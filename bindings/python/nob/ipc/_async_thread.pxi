# The "thread" and "poll" back ends of nob.ipc._async (included by
# _async.pyx): daemon helper threads that block in futex_waitv on the futex
# words of the awaited semaphores, or poll their values, and tell the loops.
#
# One helper waits on up to 127 semaphores (FUTEX_WAITV_MAX is 128: the
# helper's private word takes one slot); the next 127 get a second helper,
# and so on: the number of helper threads follows the number of semaphores
# awaited at once (divided by 127), never the number of waiting tasks, and
# nothing falls back to polling for lack of room. Polled entries (no known
# wait word, or no futex_waitv, or NOB_ASYNC_WAIT=poll) share the first
# helper. A helper with nothing to watch for _IDLE_NS ends.

cdef long long _POLL_MIN_NS = 1000000   # polling backoff: 1 ms ...
cdef long long _POLL_MAX_NS = 20000000  # ... doubling up to 20 ms
cdef long long _IDLE_NS = 500000000     # a helper with nothing to watch for that long ends

cdef list _helpers = []      # this process's helpers (_Helper), threads started or starting
cdef object _waitv = None    # None: not probed yet; then True/False


cdef bint _have_waitv():
    global _waitv
    if _waitv is None:
        _waitv = bool(async_have_waitv())
    return _waitv


def _thread_count():
    """How many helper threads this process has now (for tests)."""
    return len(_helpers)


def _thread_census():
    """(helpers, semaphores they wait on with futex_waitv, semaphores they
    poll) in this process now (for tests)."""
    cdef _Helper h
    cdef _Entry e
    futex = polled = 0
    for h in _helpers:
        for e in h.entries:
            if e.addr != 0:
                futex += 1
            else:
                polled += 1
    return len(_helpers), futex, polled


cdef class _Entry(_Watch):
    """One awaited semaphore as a helper thread sees it (addr: the word in
    the helper's own copy of the page, see async_dup_word; 0: polled)."""
    cdef uint32_t expected   # the helper waits while the futex word holds this
    cdef bint removed
    cdef bint in_wait        # in the set of the helper's current futex_waitv
    cdef bint delivering     # told its loop; the loop has not run on_ready yet
    cdef long long hand_on_at
    cdef _Helper helper

    cdef void arm(self, uint32_t expected):
        self.expected = expected
        self.armed = True
        self.helper.poll_ns = _POLL_MIN_NS
        self.helper.poke()

    cdef void delivered(self):
        self.armed = False
        self.delivering = False

    cdef void started(self) except *:
        _start_thread(self.helper)

    cdef void leave(self):
        cdef _Helper h = self.helper
        self.removed = True
        self.armed = False
        if self in h.entries:
            h.entries.remove(self)
            if self.addr != 0:
                h.futex_entries -= 1
        self.uncount()
        self.channel = None  # the helper may still hold us until it next wakes
        if not self.in_wait:
            _drop_word(self)
        # Else no poke: waking the helper now would only make it fight the
        # loop for the GIL. It leaves that futex the next time it wakes (at
        # the latest _IDLE_NS later; its own copy of the page stays mapped
        # until then) and, if that wake was a post meant for some other
        # waiter, hands it on.

    cdef void forget_in_child(self):
        # The copy of the page was not inherited (MADV_DONTFORK): forget
        # its address, never read or unmap it.
        self.counted = False
        self.armed = False
        self.addr = 0


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
                e.uncount()
                _drop_word(e)
                if e.channel is not None:
                    e.channel.addr = 0
        self.futex_entries = 0


cdef void _drop_word(_Entry e):
    if e.addr != 0:
        async_drop_word(e.addr)
        e.addr = 0


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


cdef _Entry _register(_Channel ch, uintptr_t addr):
    """Gives `ch` to a helper: a futex slot (a helper with room, else a new
    one) for a known wait word, else polling. Nothing here releases the GIL
    until the entry is complete (no two loops start a helper for one slot)."""
    cdef _Helper h = None
    cdef _Helper c
    cdef _Entry e = _Entry.__new__(_Entry)
    e.channel = ch
    if addr != 0 and _have_waitv():
        for c in _helpers:
            if c.futex_entries < _SLOTS - 1:
                h = c
                break
        if h is None:
            h = _new_helper()
        addr = async_dup_word(addr)  # our own mapping of the word (see run())
    else:
        addr = 0
    if addr == 0:
        h = _helpers[0] if _helpers else _new_helper()
    else:
        h.futex_entries += 1
        e.count(addr)  # from now on posts issue FUTEX_WAKE
    e.addr = addr
    e.helper = h
    h.entries.append(e)
    return e


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
                e.delivering = False
                if e.counted:
                    e.uncount()
                    async_wake(e.addr, 1, False)
