"""A post from another process wakes an awaiting task promptly, and a wake
taken for this process (by its loop's ring or its helper thread) but used
by no task is handed on to a process blocked in a plain (blocking) acquire."""

import asyncio
import statistics
import time

import pytest

from nob.ipc import Flags, NamedSemaphore

from conftest import start_child, wait_for_line
from async_loops import poster, run, wait_mode  # noqa: F401 (fixtures)

SAMPLES = 30


def test_a_post_from_another_process_wakes_a_task_within_50_ms(run, sem_name, wait_mode, poster):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)

    async def main():
        lat = []
        for _ in range(SAMPLES):
            task = asyncio.create_task(sem.acquire_async())
            await asyncio.sleep(0.01)
            poster.post(sem.name, 1, 0.005)
            assert await asyncio.wait_for(task, 10) is True
            resumed = time.monotonic()
            lat.append(resumed - poster.posted())
        return lat

    lat = sorted(run(main()))
    print(f"\n{wait_mode}: post -> resumed task: median {statistics.median(lat) * 1e3:.3f} ms, "
          f"p90 {lat[int(SAMPLES * 0.9)] * 1e3:.3f} ms, max {lat[-1] * 1e3:.3f} ms")
    assert statistics.median(lat) < 0.050
    assert lat[-1] < 0.5
    sem.close()


BLOCKED = """
    import sys, time
    from nob.ipc import NamedSemaphore
    sem = NamedSemaphore(sys.argv[1])
    print("waiting", flush=True)
    t = time.monotonic()
    ok = sem.acquire(timeout=float(sys.argv[2]))
    print(ok, time.monotonic() - t, flush=True)
"""


@pytest.mark.parametrize("when", ["before the loop sees the wake", "after the task was woken"])
def test_a_wake_no_task_used_is_handed_on_to_a_blocked_process(run, sem_name, when):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    poster_handle = NamedSemaphore(sem_name)

    async def main():
        task = asyncio.create_task(sem.acquire_async())
        await asyncio.sleep(0.2)  # our waiter (ring or helper) is the first futex waiter
        child = start_child(BLOCKED, sem.name, 20)
        wait_for_line(child, "waiting")
        time.sleep(0.3)  # the child is blocked in sem_wait, queued after our waiter
        poster_handle.release()  # sem_post wakes ONE waiter: ours
        time.sleep(0.2)  # the loop is blocked: the wake waits for it meanwhile
        if when == "before the loop sees the wake":
            task.cancel()
        else:
            asyncio.get_running_loop().call_soon(task.cancel)  # right after the wake-up
        with pytest.raises(asyncio.CancelledError):
            await task
        return child

    child = run(main())
    out, err = child.communicate(timeout=60)
    ok, waited = out.split()
    print(f"\n{when}: the blocked process got the unit after {float(waited) * 1e3:.1f} ms")
    assert ok == "True", err
    assert float(waited) < 5  # without the hand-on it would sleep its whole 20 s
    assert sem.value == 0
    sem.close()
    poster_handle.close()


def test_a_wake_taken_on_a_closed_semaphore_is_still_handed_on(run, sem_name):
    """In thread mode the helper leaves a futex lazily (it is not woken when the last
    task stops waiting): it must still hand on a wake after the semaphore's
    own mapping is gone."""
    other = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)  # owns the name
    sem = NamedSemaphore(sem_name)

    async def main():
        task = asyncio.create_task(sem.acquire_async())
        await asyncio.sleep(0.2)  # our waiter sits on the futex
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    sem.close()  # unmapped (a helper thread may still be queued on that futex)
    child = start_child(BLOCKED, other.name, 20)
    wait_for_line(child, "waiting")
    time.sleep(0.3)  # blocked in sem_wait (after a helper still queued, if any)
    other.release()  # one FUTEX_WAKE: whoever takes it must hand it on
    out, err = child.communicate(timeout=60)
    ok, waited = out.split()
    print(f"\nthe blocked process got the unit after {float(waited) * 1e3:.1f} ms")
    assert ok == "True", err
    assert float(waited) < 5
    other.close()
