"""A post's only wake that was taken for a loop that stays busy (a callback
that computes for a second, or sleeps) is handed on after a short while (by
the kernel in uring mode, by the helper thread otherwise), so that a process
blocked in a plain acquire does not wait for that loop; the task still gets
a unit if one is left when its loop runs again."""

import asyncio
import time

import pytest

from nob.ipc import Flags, NamedSemaphore

from conftest import start_child, wait_for_line
from async_loops import run, wait_mode  # noqa: F401 (fixtures)

# A process blocked in a plain acquire; prints whether it got a unit and when.
BLOCKED = """
    import sys, time
    from nob.ipc import NamedSemaphore
    sem = NamedSemaphore(sys.argv[1])
    print("waiting", flush=True)
    ok = sem.acquire(timeout=float(sys.argv[2]))
    print(ok, time.monotonic(), flush=True)
"""

BUSY = 1.0


def stay_busy(how):
    if how == "computing":
        t = time.monotonic()
        while time.monotonic() - t < BUSY:
            pass
    else:
        time.sleep(BUSY)


@pytest.mark.parametrize("how", ["computing", "sleeping"])
def test_a_wake_taken_for_a_busy_loop_reaches_a_blocked_process(run, sem_name, wait_mode, how):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    poster_handle = NamedSemaphore(sem_name)

    async def main():
        task = asyncio.create_task(sem.acquire_async(timeout=30))
        await asyncio.sleep(0.2)  # our waiter (ring or helper) is the first futex waiter
        child = start_child(BLOCKED, sem.name, 20)
        wait_for_line(child, "waiting")
        time.sleep(0.3)  # blocked in sem_wait, queued after our waiter
        posted = time.monotonic()
        poster_handle.release()  # ONE wake: ours, for this busy loop
        stay_busy(how)
        poster_handle.release()  # a unit for the task when its loop runs again
        return child, posted, await task

    child, posted, got = run(main())
    out, err = child.communicate(timeout=60)
    ok, at = out.split()
    waited = float(at) - posted
    print(f"\n{wait_mode}: the blocked process got the unit {waited * 1e3:.1f} ms after the post "
          f"(the loop was {how} for {BUSY} s)")
    assert ok == "True", err
    assert waited < BUSY / 2  # not after the busy loop
    assert got is True
    assert sem.value == 0
    sem.close()
    poster_handle.close()
