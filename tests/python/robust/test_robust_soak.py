"""Random-kill soak: worker processes loop acquire/release on one pool while one of them is
SIGKILLed every few ms; at the end value == capacity, holders() is empty and nothing is left in
/dev/shm. NOB_STRESS_SCALE scales the duration (default 1: about 3 s)."""

import ctypes
import mmap
import os
import random
import signal
import time

from nob.ipc import Flags, RobustSemaphore

SCALE = float(os.environ.get("NOB_STRESS_SCALE", "1") or 1)
WORKERS = 4
CAPACITY = 2


def start_worker(name, counters, slot):
    pid = os.fork()
    if pid != 0:
        return pid
    try:
        sem = RobustSemaphore(name)
        count = ctypes.c_int64.from_buffer(counters, slot * 8)
        while True:
            sem.acquire()
            count.value += 1
            sem.release()
    finally:
        os._exit(3)  # never reached unless something raised


def test_random_sigkills_lose_no_unit_and_leave_nothing_behind(sem_name):
    counters = mmap.mmap(-1, 8 * 4096)  # shared with the forked workers: ops per worker
    sem = RobustSemaphore(sem_name, CAPACITY, Flags.RAISE_IF_EXISTS)
    rng = random.Random(os.getpid())
    slot = 0
    workers = []
    for _ in range(WORKERS):
        workers.append(start_worker(sem_name, counters, slot))
        slot += 1
    kills = 0
    end = time.monotonic() + 3.0 * SCALE
    try:
        while time.monotonic() < end and slot < 4096:
            time.sleep(rng.uniform(0.002, 0.008))
            victim = workers.pop(rng.randrange(len(workers)))
            os.kill(victim, signal.SIGKILL)
            _, status = os.waitpid(victim, 0)
            assert os.waitstatus_to_exitcode(status) == -signal.SIGKILL  # it was still looping
            kills += 1
            workers.append(start_worker(sem_name, counters, slot))
            slot += 1
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        for pid in workers:
            os.waitpid(pid, 0)
    ops = sum(ctypes.c_int64.from_buffer(counters, i * 8).value for i in range(slot))
    print(f"soak: {kills} SIGKILLs, {ops} acquire/release pairs by {slot} workers")
    assert kills >= 10 and ops > 0
    assert sem.holders() == []
    assert sem.value == CAPACITY
    assert all(sem.acquire(timeout=10) for _ in range(CAPACITY))
    sem.release(CAPACITY)
    sem.close()
    assert not RobustSemaphore.exists(sem_name)
    assert not [f for f in os.listdir("/dev/shm") if sem_name in f]
