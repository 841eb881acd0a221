"""Threads: waits release the GIL, mutual exclusion holds, close() while others wait is safe."""

import threading
import time

import pytest

from nob.ipc import Flags, NamedSemaphore

from conftest import sem_exists


def test_another_thread_runs_while_one_waits(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    result = []
    waiter = threading.Thread(target=lambda: result.append(sem.acquire(timeout=10)))
    waiter.start()
    time.sleep(0.05)
    counter = 0
    end = time.monotonic() + 0.2
    while time.monotonic() < end:  # this loop only runs if the waiter released the GIL
        counter += 1
    assert counter > 1000
    assert waiter.is_alive()
    sem.release()
    waiter.join(5)
    assert result == [True]
    sem.close()


def test_threads_keep_mutual_exclusion(sem_name):
    sem = NamedSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    inside = []
    overlaps = []
    count = [0]

    def work():
        for _ in range(300):
            with sem:
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(len(inside))
                count[0] += 1
                if count[0] % 50 == 0:
                    time.sleep(0.0005)  # hand the GIL over while holding the unit
                inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert overlaps == []
    assert count[0] == 1200
    assert sem.value == 1
    sem.close()


def test_blocked_threads_are_woken_by_releases(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    got = []
    threads = [threading.Thread(target=lambda: got.append(sem.acquire(timeout=10))) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    sem.release(3)
    for t in threads:
        t.join(10)
    assert got == [True, True, True]
    assert sem.value == 0
    sem.close()


def test_close_while_another_thread_waits_does_not_crash(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    outcome = []

    def wait():
        try:
            outcome.append(sem.acquire(timeout=0.5))
        except ValueError as e:
            outcome.append(e)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.1)
    sem.close()  # the waiter is still blocked in sem_clockwait on the same sem_t
    assert sem.closed
    with pytest.raises(ValueError):
        sem.acquire(False)
    assert not sem_exists(sem_name)  # unlinked at once; only the unmap waits for the waiter
    waiter.join(5)
    assert not waiter.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], ValueError)
    assert not sem_exists(sem_name)  # the last waiter finished the close (and the unlink)


def test_a_unit_taken_after_close_is_given_back(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS, unlink_on_delete=False)
    other = NamedSemaphore(sem_name)
    outcome = []

    def wait():
        try:
            outcome.append(sem.acquire())
        except ValueError as e:
            outcome.append(e)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.1)
    sem.close()
    other.release()  # wakes the waiter, which must hand the unit back
    waiter.join(5)
    assert isinstance(outcome[0], ValueError)
    assert other.value == 1
    other.unlink()
    other.close()


def test_many_threads_closing_and_waiting(sem_name):
    for round_ in range(5):
        sem = NamedSemaphore(f"{sem_name}-{round_}", 0, Flags.RAISE_IF_EXISTS)
        errors = []

        def wait():
            try:
                sem.acquire(timeout=0.2)
            except ValueError:
                pass
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=wait) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(0.02)
        sem.release()
        sem.close()
        sem.close()
        for t in threads:
            t.join(5)
        assert errors == []
        assert not sem_exists(f"{sem_name}-{round_}")
