# The "uring" back end of nob.ipc._async (included by _async.pyx): one
# io_uring per event loop (_Ring), made on the first await in that loop and
# used from the loop's thread; each awaited semaphore of that loop
# (_UringWatch) is one IORING_OP_FUTEX_WAIT on its futex word, and the
# ring's own descriptor (readable while completions are queued), watched
# with loop.add_reader, wakes the loop. No thread.
#
# A request's user_data is its watch's address (a _UringWatch, kept alive
# by its ring's `inflight` set while any of its requests may complete) plus
# its kind in the low 2 bits (uring_wait, uring_timeout, uring_wake,
# uring_cancel): no lookup per completion. A watch has at most one
# FUTEX_WAIT in flight, so a wait's completion is always its current one.
# A watch counts its completions still to come (`outstanding`); it is only
# done (uncounted, its semaphore free to be unmapped) when that is 0.
#
# A plain semaphore's post wakes ONE waiter, which may be our request.
# Each FUTEX_WAIT of a plain semaphore is therefore linked to a TIMEOUT of
# _HAND_ON_NS (whose expiry keeps the link) and then a FUTEX_WAKE of
# one waiter: when the loop reads the wake in time it cancels the timeout
# (and with it the FUTEX_WAKE); when the loop is busy, stopped or closed,
# the kernel hands the wake on by itself. A RobustSemaphore's release wakes
# every waiter, so its waits need no such chain.

cdef unsigned _URING_SQ = 64      # submission queue: requests are submitted in small batches
cdef unsigned _URING_CQ = 4096    # completion queue (more wait in the kernel's overflow list)
cdef long long _URING_DRAIN_NS = 1000000000  # longest wait for a cancelled request's end

cdef dict _rings = {}   # id(loop) -> _Ring
cdef object _uring_ok = None   # None: not probed yet; then True/False


def _ring_count(loop=None):
    """How many rings this process has open now; with `loop`, whether that
    loop has one (for tests)."""
    cdef _Ring r
    n = 0
    for r in _rings.values():
        if not r.dead and (loop is None or r.loop_ref() is loop):
            n += 1
    return n


cdef bint _have_uring():
    global _uring_ok
    if _uring_ok is None:
        _uring_ok = async_uring_probe(0) == 0
    return _uring_ok


cdef _Ring _ring_for(loop):
    """The ring of `loop`, made now if it has none; None if the loop cannot
    watch a file descriptor (add_reader) or the ring cannot be made (then
    the caller uses a helper thread)."""
    cdef _Ring ring = _rings.get(id(loop))
    if ring is not None and not ring.dead and ring.loop_ref() is loop:
        return ring
    _close_rings_of_closed_loops()
    ring = _Ring.__new__(_Ring)
    if ring.r.open(_URING_SQ, _URING_CQ, 0) != 0:
        return None
    try:
        loop.add_reader(ring.r.fd(), ring.on_readable)
    except Exception:
        ring.close()
        return None
    ring.loop_ref = weakref.ref(loop, ring.loop_gone)
    _rings[id(loop)] = ring
    return ring


cdef void _close_rings_of_closed_loops():
    """Rings whose loop was closed and that nobody uses any more (a closed
    loop is often collected late: its ring need not wait for that)."""
    cdef _Ring ring
    for key, ring in list(_rings.items()):
        loop = ring.loop_ref()
        if ring.users == 0 and (loop is None or loop.is_closed()):
            del _rings[key]
            ring.close()


cdef class _Ring:
    """One loop's io_uring. Every method runs with the GIL held and never
    releases it, so a ring is never used by two threads at once (a coroutine
    collected in another thread, interpreter exit)."""
    cdef async_ring* r
    cdef object loop_ref      # weakref to the loop (its death closes the ring)
    cdef set inflight         # watches with completions to come (keeps them alive)
    cdef Py_ssize_t users     # watches that use it
    cdef bint batching        # in on_readable: submit once, at its end
    cdef bint rearmed         # a wait was queued while batching
    cdef bint flush_soon      # a flush() is scheduled
    cdef bint dead            # closed, or inherited by a forked child

    def __cinit__(self):
        self.r = new async_ring()
        self.inflight = set()

    def __dealloc__(self):
        if self.r != NULL:
            if not self.dead:
                self.r.close()
            del self.r
            self.r = NULL

    cdef uint64_t track(self, _UringWatch w, unsigned completions):
        """`w`'s tag, for `completions` more requests of it."""
        if w.outstanding == 0:
            self.inflight.add(w)
        w.outstanding += completions
        return <uint64_t><uintptr_t><PyObject*>w

    cdef bint room(self, unsigned n):
        """Room for `n` more SQEs (what is queued is submitted first if need
        be); False if the kernel takes none now (out of memory, say)."""
        if not self.r.has_room(n):
            self.submit()
        return self.r.has_room(n)

    cdef void submit(self):
        """Submits what is queued (a full completion queue is emptied first)."""
        cdef int err = self.r.enter(0, -1, False)
        if err == EAGAIN or err == EBUSY:
            _wake_channels(self.reap())
            err = self.r.enter(0, -1, False)
        if err != 0 and err != EINTR:
            # Out of kernel memory or the like: what is queued stays queued
            # (the next submission takes it); try again soon.
            loop = self.loop_ref()
            if loop is not None and not self.flush_soon:
                self.flush_soon = True
                loop.call_later(0.01, self.flush)

    cdef void wait_word(self, _UringWatch w, uint32_t expected):
        """FUTEX_WAIT on w's word while it holds `expected` (plus the
        hand-on chain for a plain semaphore), submitted at once."""
        cdef unsigned n = 3 if w.hand_on else 1
        if not self.room(n):
            # Cannot wait now: look again in a while (never a tight loop).
            w.armed = False
            w.channel.loop.call_later(0.01, w.channel.on_ready, False)
            return
        self.r.queue_futex_wait(w.addr, expected, self.track(w, n),
                                _HAND_ON_NS if w.hand_on else 0)
        if self.batching:
            self.rearmed = True
        else:
            self.submit()

    cdef void cancel(self, _UringWatch w, unsigned kind):
        """ASYNC_CANCEL of w's request of that kind (queued). Where the
        queue has no room even then, the request runs its course (a wait is
        woken by the next post; finish() gives up waiting for it)."""
        if not self.room(1):
            return
        self.r.queue_cancel(self.track(w, 1) | kind, <uint64_t><uintptr_t><PyObject*>w)

    cdef list reap(self):
        """Reads every completion; returns the channels to wake."""
        cdef uint64_t ud = 0
        cdef int res = 0
        cdef _UringWatch w
        ready = []
        while True:
            while self.r.pop(ud, res):
                w = <_UringWatch><PyObject*><uintptr_t>(ud & ~(<uint64_t>3))
                if w.abandoned:
                    continue  # it gave up waiting for these (see finish)
                w.outstanding -= 1
                if w.outstanding == 0:
                    self.inflight.discard(w)  # (may free it: w is our own reference)
                w.completed(<unsigned>(ud & 3), res, ready)
            if not self.r.overflowed():
                return ready
            self.r.enter(0, -1, True)  # moves the overflowed completions in

    def on_readable(self):
        """Completions are queued (loop thread): read them all (which ends
        the descriptor's readiness), wake the
        channels, submit the waits of channels that had no task to wake.

        The cancels of hand-on timeouts this queues (one per wake) are not
        submitted here, off the woken tasks' way: they go with the next
        submission, which comes when a woken task has tried (it waits again,
        or its channel is torn down and waits for every request of its watch
        to end). A loop that never gets there lets the timeout expire: the
        kernel then hands the wake on, as it should for a loop that stopped."""
        if self.dead:
            return
        self.batching = True
        try:
            ready = self.reap()
            _wake_channels(ready)
        finally:
            self.batching = False
        if self.rearmed:
            self.rearmed = False
            self.submit()

    def flush(self):
        self.flush_soon = False
        if not self.dead and self.r.queued():
            self.submit()

    cdef void finish(self, _UringWatch w):
        """Waits until every request of `w` has completed (w cancelled them):
        the cancellation of a futex wait or timeout completes within the
        io_uring_enter that submits it, so this returns at once; it gives up
        after _URING_DRAIN_NS (w's completions are then ignored, and w stays
        in `inflight` for as long as the ring lives)."""
        cdef long long deadline
        if w.outstanding == 0:
            return
        deadline = _monotonic_ns() + _URING_DRAIN_NS
        ready = []
        if self.r.queued():
            self.submit()
        while w.outstanding > 0:
            ready.extend(self.reap())
            if w.outstanding == 0 or _monotonic_ns() > deadline:
                break
            self.r.enter(1, 10000000, True)
        if w.outstanding > 0:
            w.abandoned = True
        _wake_channels(ready)

    def loop_gone(self, ref):
        """The loop was garbage collected: nothing of it waits any more."""
        for k, v in list(_rings.items()):
            if v is self:
                del _rings[k]
        self.close()

    cdef void close(self):
        if not self.dead:
            self.dead = True
            self.r.close()

    cdef void drop_in_child(self):
        """In a forked child: the parent's ring is not ours; let it go."""
        if not self.dead:
            self.dead = True
            self.r.drop_in_child()
        self.inflight = set()


cdef class _UringWatch(_Watch):
    """One awaited (loop, semaphore) pair in its loop's ring."""
    cdef _Ring ring
    cdef bint hand_on             # a plain semaphore: the FUTEX_WAKE chain
    cdef Py_ssize_t outstanding   # completions still to come
    cdef bint leaving
    cdef bint ate_wake            # woken while leaving: that wake goes on
    cdef bint abandoned           # gave up waiting for its completions

    cdef void arm(self, uint32_t expected):
        if self.ring.dead:
            return  # a forked child's inherited task: never woken here
        self.armed = True
        self.ring.wait_word(self, expected)

    cdef void completed(self, unsigned kind, int res, list ready):
        if kind != uring_wait:
            return  # a timeout, a hand-on wake or a cancel ended
        self.armed = False
        if self.hand_on and res == 0:
            # Woken: the hand-on TIMEOUT runs now. We read the wake in time:
            # cancel it (and with it its FUTEX_WAKE). The cancel is submitted
            # after the woken tasks ran (see on_readable).
            self.ring.cancel(self, uring_timeout)
        if self.leaving:
            if res == 0:
                self.ate_wake = True
        elif self.channel is not None:
            if res == 0 or res == -EAGAIN or res == -ECANCELED or res == -EINTR:
                ready.append(self.channel)
            else:
                # Not expected (EFAULT, ENOMEM, ...): try again in a while
                # rather than at once, never in a tight loop.
                self.channel.loop.call_later(0.01, self.channel.on_ready, False)

    cdef void leave(self):
        """The last task left: cancel what is in flight and wait for its end
        before the waiter count is undone (and before the semaphore may be
        unmapped: the channel's hold on it is released after this)."""
        cdef _Ring ring = self.ring
        self.leaving = True
        if not ring.dead:
            if self.armed:
                ring.cancel(self, uring_wait)
            ring.finish(self)  # (a hand-on timer is cancelled when its wait ends)
        self.armed = False
        if self.ate_wake and self.counted:
            async_wake(self.addr, 1, False)  # a wake nobody here uses goes on
        self.uncount()
        self.channel = None
        ring.users -= 1

    cdef void at_exit(self):
        cdef _Ring ring = self.ring
        if not ring.dead and not self.leaving and self.outstanding > 0:
            self.leaving = True
            if self.armed:
                ring.cancel(self, uring_wait)
            ring.finish(self)
        _Watch.at_exit(self)

    cdef void forget_in_child(self):
        self.counted = False
        self.armed = False
        self.outstanding = 0


cdef _UringWatch _uring_watch(_Channel ch, _Ring ring, uintptr_t addr, bint hand_on):
    cdef _UringWatch w = _UringWatch.__new__(_UringWatch)
    w.channel = ch
    w.ring = ring
    w.hand_on = hand_on
    w.count(addr)  # from now on posts issue FUTEX_WAKE
    ring.users += 1
    return w
