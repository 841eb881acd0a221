"""A process that ends while holding units (SIGKILL, exception, plain exit, exec) frees them:
a process blocked in acquire gets the unit within a generous bound; a SIGKILLed creator leaks no name."""

import os
import signal
import time

import pytest

from nob.ipc import Flags, RobustSemaphore

from conftest import start_child, wait_for_line

HOLDER = """
    import os, sys, time
    from nob.ipc import RobustSemaphore
    sem = RobustSemaphore(sys.argv[1])
    assert sem.acquire(timeout=30)
    print("holding", flush=True)
    how = sys.argv[2]
    if how == "exception":
        raise SystemExit("leaving by an exception, unit still held")
    if how == "exit":
        os._exit(0)
    if how == "exec":
        os.execv(sys.executable, [sys.executable, "-c",
                 "import time; print('execd', flush=True); time.sleep(60)"])
    time.sleep(60)
"""

WAITER = """
    import sys, time
    from nob.ipc import RobustSemaphore
    sem = RobustSemaphore(sys.argv[1])
    print("waiting", flush=True)
    got = sem.acquire(timeout=float(sys.argv[2]))
    print("got" if got else "timeout", time.monotonic(), flush=True)
    if got:
        sem.release()
"""


@pytest.fixture
def pool(sem_name):
    s = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    yield s
    s.close()


def test_sigkilled_holder_frees_its_unit_for_a_blocked_acquirer_in_another_process(pool, sem_name):
    holder = start_child(HOLDER, sem_name, "sleep")
    waiter = None
    try:
        wait_for_line(holder, "holding")
        assert pool.holders()[0].pid == holder.pid
        waiter = start_child(WAITER, sem_name, 60)
        wait_for_line(waiter, "waiting")
        time.sleep(0.3)  # let it block
        killed = time.monotonic()
        holder.send_signal(signal.SIGKILL)
        out, err = waiter.communicate(timeout=60)
        word, when = out.split()[-2:]
        assert word == "got", err
        latency = float(when) - killed
        print(f"recovery after SIGKILL: {latency * 1000:.1f} ms")
        assert latency < 5.0  # the contract says 250 ms; the machine is loaded
    finally:
        for p in (holder, waiter):
            if p is not None and p.poll() is None:
                p.kill()
            if p is not None:
                p.wait()
    assert (pool.value, pool.holders()) == (1, [])


@pytest.mark.parametrize("how", ["exception", "exit"])
def test_a_holder_that_ends_without_releasing_frees_its_unit(pool, sem_name, how):
    holder = start_child(HOLDER, sem_name, how)
    wait_for_line(holder, "holding")
    holder.wait(30)
    assert (pool.value, pool.holders()) == (1, [])
    assert pool.acquire(timeout=10)
    pool.release()


def test_exec_frees_units_while_the_process_lives_on(pool, sem_name):
    holder = start_child(HOLDER, sem_name, "exec")
    try:
        wait_for_line(holder, "holding")
        wait_for_line(holder, "execd")
        assert holder.poll() is None
        assert (pool.value, pool.holders()) == (1, [])
        assert pool.acquire(timeout=10)
        pool.release()
    finally:
        holder.kill()
        holder.wait()


def test_a_sigkilled_creator_leaks_no_name(sem_name):
    creator = start_child(
        """
        import sys, time
        from nob.ipc import Flags, RobustSemaphore
        sem = RobustSemaphore(sys.argv[1], 2, Flags.RAISE_IF_EXISTS)
        sem.acquire()
        print("created", flush=True)
        time.sleep(60)
        """,
        sem_name,
    )
    wait_for_line(creator, "created")
    assert RobustSemaphore.exists(sem_name)
    creator.kill()
    creator.wait()
    assert not RobustSemaphore.exists(sem_name)
    fresh = RobustSemaphore(sem_name, 3, Flags.LINK_OR_CREATE)
    assert not fresh.linked_existing_semaphore and fresh.capacity == 3
    fresh.close()
    assert not [f for f in os.listdir("/dev/shm") if sem_name in f]
