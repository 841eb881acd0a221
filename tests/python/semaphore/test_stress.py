"""Stress: N processes x M operations, many threads on one object, close()
racing waits and posts. Counts must be exact; nothing may crash."""

import os
import threading

from conftest import run_child, start_child
from nob.ipc import Flags, NamedSemaphore

SCALE = max(1, int(os.environ.get("NOB_STRESS_SCALE", "1")))

WORKER = """
import sys
from nob.ipc import NamedSemaphore
name, ops = sys.argv[1], int(sys.argv[2])
lock = NamedSemaphore(name + "-lock")
total = NamedSemaphore(name + "-count")
got = 0
for i in range(ops):
    with lock:                      # one at a time: counted by another semaphore
        total.release()
    if lock.acquire(timeout=0.0001 if i % 2 else 5):
        got += 1
        lock.release()
print(got)
"""


def test_processes_by_operations_keep_exact_counts(make_name):
    procs, ops = 4, 1000 * SCALE
    base = make_name("w")
    lock = NamedSemaphore(base + "-lock", 1, Flags.RAISE_IF_EXISTS)
    count = NamedSemaphore(base + "-count", 0, Flags.RAISE_IF_EXISTS)
    try:
        kids = [start_child(WORKER, base, ops) for _ in range(procs)]
        outs = [k.communicate(timeout=120) for k in kids]
        assert [k.returncode for k in kids] == [0] * procs, [o[1] for o in outs]
        assert count.value == procs * ops  # every post arrived, none twice
        assert sum(int(o[0]) for o in outs) >= procs * ops // 2
        assert lock.value == 1
    finally:
        lock.close()
        count.close()


def test_many_threads_on_one_object(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    threads, ops = 8, 500 * SCALE
    box = {"n": 0, "inside": 0, "overlap": False}

    def work(t):
        for i in range(ops):
            if i % 3 == 0:
                assert sem.acquire()
            elif i % 3 == 1:
                while not sem.acquire(timeout=0.001):
                    pass
            else:
                while not sem.acquire(blocking=False):
                    pass
            box["inside"] += 1
            if box["inside"] != 1:
                box["overlap"] = True
            box["n"] += 1
            box["inside"] -= 1
            sem.release()

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    assert box["n"] == threads * ops
    assert not box["overlap"]
    assert sem.value == 1
    sem.close()


def test_close_racing_waits_and_posts_never_crashes(make_name):
    # In a child interpreter, so that a crash shows as a signal, not a lost suite.
    code = """
import sys, threading, time
from nob.ipc import Flags, NamedSemaphore
name, rounds = sys.argv[1], int(sys.argv[2])
outcomes = {}
for r in range(rounds):
    sem = NamedSemaphore(f"{name}-{r % 3}", 0, Flags.UNLINK_AND_CREATE)
    other = NamedSemaphore(sem.name)  # a second handle, to wake waiters after close()
    def waiter(kind):
        try:
            if kind == 0:
                res = sem.acquire()
            elif kind == 1:
                res = sem.acquire(timeout=0.05)
            else:
                res = sem.release()
        except ValueError:
            res = "closed"
        except OSError as e:
            res = type(e).__name__
        outcomes[repr(res)] = outcomes.get(repr(res), 0) + 1
    ts = [threading.Thread(target=waiter, args=(k % 3,)) for k in range(6)]
    for t in ts:
        t.start()
    time.sleep(0.001 * (r % 4))
    sem.close()  # waiters already inside keep waiting; the close completes after them
    other.release(6)
    for t in ts:
        t.join(10)
        assert not t.is_alive(), "a waiter never came back after close()"
    other.close()
    NamedSemaphore.remove(sem.name)
print(sorted(outcomes))
"""
    res = run_child(code, make_name("c"), 40 * SCALE, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "closed" in res.stdout  # some calls really met a closed object
