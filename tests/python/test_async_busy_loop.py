"""A post's only wake that the helper thread took for a loop that stays busy
(blocking code in a callback, a stopped loop) is handed on after a short
while, so that a process blocked in a plain acquire does not wait for that
loop; the task still gets a unit if one is left when its loop runs again."""

import asyncio
import time

from nob.ipc import Flags, NamedSemaphore

from conftest import start_child, wait_for_line
from async_loops import run  # noqa: F401 (fixtures)
from test_async_wake import BLOCKED

BUSY = 3.0


def test_a_wake_taken_for_a_busy_loop_reaches_a_blocked_process(run, sem_name):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    poster_handle = NamedSemaphore(sem_name)

    async def main():
        task = asyncio.create_task(sem.acquire_async(timeout=30))
        await asyncio.sleep(0.2)  # the helper thread is the first futex waiter
        child = start_child(BLOCKED, sem.name, 20)
        wait_for_line(child, "waiting")
        time.sleep(0.3)  # blocked in sem_wait, queued after the helper
        poster_handle.release()  # ONE wake: to the helper, for this busy loop
        time.sleep(BUSY)  # the loop is busy
        poster_handle.release()  # a unit for the task when its loop runs again
        return child, await task

    child, got = run(main())
    out, err = child.communicate(timeout=60)
    ok, waited = out.split()
    waited = float(waited) - 0.3
    print(f"\nthe blocked process got the unit {waited * 1e3:.1f} ms after the post "
          f"(the loop was busy {BUSY} s)")
    assert ok == "True", err
    assert waited < BUSY / 2  # not after the busy loop
    assert got is True
    assert sem.value == 0
    sem.close()
    poster_handle.close()
