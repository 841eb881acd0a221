"""close(): idempotent; afterwards every call raises ValueError; closing while other threads wait
never crashes: they raise ValueError and give back a unit they took; the last one out closes."""

import signal
import threading
import time

import pytest

from nob.ipc import Flags, RobustSemaphore


@pytest.fixture
def closed_sem(sem_name):
    s = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    s.close()
    return s


CALLS = {
    "acquire()": lambda s: s.acquire(),
    "acquire(False)": lambda s: s.acquire(False),
    "acquire(timeout=0)": lambda s: s.acquire(timeout=0),
    "acquire(timeout=1.5)": lambda s: s.acquire(timeout=1.5),
    "release()": lambda s: s.release(),
    "release(3)": lambda s: s.release(3),
    "value": lambda s: s.value,
    "capacity": lambda s: s.capacity,
    "held": lambda s: s.held,
    "holders()": lambda s: s.holders(),
    "persistent": lambda s: s.persistent,
    "persistent=": lambda s: setattr(s, "persistent", True),
    "unlink()": lambda s: s.unlink(),
    "__enter__()": lambda s: s.__enter__(),
    "__exit__()": lambda s: s.__exit__(None, None, None),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=list(CALLS))
def test_every_call_on_a_closed_semaphore_raises_value_error(closed_sem, call):
    with pytest.raises(ValueError, match="closed"):
        call(closed_sem)


def test_close_is_idempotent_and_attributes_stay_readable(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    sem.close()
    sem.close()
    assert sem.closed and sem.name == "/" + sem_name and sem.linked_existing_semaphore is False
    assert not RobustSemaphore.exists(sem_name)


def test_closing_inside_with_gives_the_unit_back_at_the_blocks_end(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    keeper = RobustSemaphore(sem_name)
    with sem:
        sem.close()
        assert sem.closed and keeper.held == 1  # the block still holds its unit
    assert (keeper.held, keeper.value) == (0, 1)  # "`with` after close": given back, no error
    keeper.close()


def wait_in_thread(sem, **kwargs):
    outcome = []

    def wait():
        try:
            outcome.append(sem.acquire(**kwargs))
        except ValueError as e:
            outcome.append(e)

    t = threading.Thread(target=wait)
    t.start()
    return t, outcome


def close_from_inside_a_wait(sem, name):
    """One try: the main thread waits in sem.acquire(); a SIGUSR1 handler, which runs in that
    thread inside the wait, has another thread close sem and looks whether the name is still
    there. Returns (what acquire raised, what the handler saw or None)."""
    seen = []

    def inside(signo, frame):
        closer = threading.Thread(target=sem.close)
        closer.start()
        closer.join(10)
        seen.append(RobustSemaphore.exists(name))

    old = signal.signal(signal.SIGUSR1, inside)
    timer = threading.Timer(0.1, signal.pthread_kill, (threading.get_ident(), signal.SIGUSR1))
    try:
        timer.start()
        with pytest.raises(ValueError) as raised:
            sem.acquire(timeout=60)
        timer.join(10)
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, old)
    return str(raised.value), (seen[0] if seen else None)


def test_close_while_another_thread_waits_does_not_crash(sem_name):
    """The real close waits for the waiter: seen from inside its wait (a signal handler in
    the waiting thread), not by timing (under load the waiter's next slice could end
    first and let the real close happen before the main thread looked)."""
    for _ in range(20):  # a try whose SIGUSR1 came before the wait began proves nothing
        sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
        assert sem.acquire()
        error, name_was_there = close_from_inside_a_wait(sem, sem_name)
        with pytest.raises(ValueError):
            sem.acquire(False)
        assert not RobustSemaphore.exists(sem_name)  # the waiter left: the real close ran
        if "closed while waiting" in error:
            assert name_was_there is True  # closed, and the wait still in flight
            return
    pytest.fail("no try's SIGUSR1 reached the waiting thread inside acquire()")


def test_a_unit_taken_after_close_is_given_back(sem_name):
    sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    other = RobustSemaphore(sem_name)
    assert other.acquire()
    waiter, outcome = wait_in_thread(sem)
    time.sleep(0.1)
    sem.close()
    other.release()  # wakes the waiter, which must hand the unit back
    waiter.join(10)
    assert isinstance(outcome[0], ValueError)
    assert (other.value, other.held) == (1, 0)
    other.close()


def test_many_threads_closing_and_waiting(sem_name):
    for round_ in range(5):
        name = f"{sem_name}-{round_}"
        sem = RobustSemaphore(name, 1, Flags.RAISE_IF_EXISTS)
        assert sem.acquire()
        errors = []

        def wait():
            try:
                if sem.acquire(timeout=0.2):
                    sem.release()
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
            t.join(10)
        assert errors == []
        assert not RobustSemaphore.exists(name)
