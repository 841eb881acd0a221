"""release(n) posts all n units at once or none: OverflowError leaves the
value as it was even when threads race, release(SEMAPHORE_VALUE_MAX) is
immediate (one atomic add on glibc), and it wakes every waiter it feeds."""

import threading
import time

import pytest

from nob.ipc import SEMAPHORE_VALUE_MAX, Flags, NamedSemaphore


def test_release_of_the_maximum_is_immediate(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    t0 = time.monotonic()
    sem.release(SEMAPHORE_VALUE_MAX)
    took = time.monotonic() - t0
    assert sem.value == SEMAPHORE_VALUE_MAX
    assert took < 0.5, f"{took:.2f} s: one post per unit"
    with pytest.raises(OverflowError):
        sem.release()
    sem.close()


def test_racing_releases_post_all_or_nothing(sem_name):
    quarter = SEMAPHORE_VALUE_MAX // 4
    for round_ in range(10):
        sem = NamedSemaphore(f"{sem_name}-{round_}", 0, Flags.RAISE_IF_EXISTS)
        sem.release(quarter * 2 + quarter // 2)
        failures = []
        barrier = threading.Barrier(2)

        def post():
            barrier.wait()
            try:
                sem.release(quarter)
            except OverflowError as e:
                failures.append(e)

        threads = [threading.Thread(target=post) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(failures) == 1
        assert sem.value == quarter * 3 + quarter // 2, "a refused release posted part of n"
        sem.close()


def test_release_n_wakes_every_waiter(sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    got = []
    threads = [threading.Thread(target=lambda: got.append(NamedSemaphore(sem_name).acquire(timeout=20)))
               for _ in range(5)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    sem.release(5)
    for t in threads:
        t.join(30)
    assert got == [True] * 5
    assert sem.value == 0
    sem.close()
