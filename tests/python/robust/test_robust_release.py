"""release(n) gives back units this process holds: more than held is refused (ValueError) and
gives back nothing; any thread of the holding process may release."""

import subprocess
import threading

import pytest

from nob.ipc import Flags, RobustSemaphore

from conftest import start_child, wait_for_line


@pytest.fixture
def sem(sem_name):
    s = RobustSemaphore(sem_name, 3, Flags.RAISE_IF_EXISTS)
    yield s
    s.close()


def test_releasing_more_than_held_gives_back_nothing(sem):
    with pytest.raises(ValueError, match="holds only 0"):
        sem.release()
    assert sem.acquire() and sem.acquire()
    with pytest.raises(ValueError, match="holds only 2"):
        sem.release(3)
    assert (sem.value, sem.held) == (1, 2)
    sem.release(2)
    assert (sem.value, sem.held) == (3, 0)


def test_threads_release_units_another_thread_took(sem):
    taken = threading.Event()
    threading.Thread(target=lambda: (sem.acquire(), taken.set())).start()
    assert taken.wait(10)
    assert sem.held == 1  # held by the process, not the thread
    sem.release()
    assert (sem.value, sem.held, sem.holders()) == (3, 0, [])


def test_a_released_unit_wakes_a_thread_blocked_in_acquire(sem):
    assert sem.acquire() and sem.acquire() and sem.acquire()
    got = []
    waiter = threading.Thread(target=lambda: got.append(sem.acquire(timeout=30)))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()
    sem.release()
    waiter.join(30)
    assert got == [True]
    sem.release(3)


def test_units_another_process_holds_cannot_be_released_here(sem, sem_name):
    child = start_child(
        """
        import sys
        from nob.ipc import RobustSemaphore
        sem = RobustSemaphore(sys.argv[1])
        sem.acquire()
        print("holding", flush=True)
        sys.stdin.readline()
        """,
        sem_name,
        stdin=subprocess.PIPE,
    )
    try:
        wait_for_line(child, "holding")
        with pytest.raises(ValueError):
            sem.release()
        assert (sem.value, sem.held) == (2, 0)
        assert [h.pid for h in sem.holders()] == [child.pid]
    finally:
        child.stdin.close()
        child.wait(30)
    assert sem.value == 3
