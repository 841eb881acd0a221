"""An event loop closed (or stopped for good) while its tasks still await a
semaphore: the wake taken for it cannot be delivered
(call_soon_threadsafe raises RuntimeError). The helper must survive that, and
the wake it took from a post must be handed on, so that a process blocked in
a plain acquire still gets the unit."""

import asyncio
import time

import pytest

from nob.ipc import Flags, NamedSemaphore

from conftest import start_child, wait_for_line
from async_loops import LOOPS, wait_mode  # noqa: F401 (fixtures)
from test_async_wake import BLOCKED

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None


def new_loop(kind):
    return uvloop.new_event_loop() if kind == "uvloop" else asyncio.new_event_loop()


def leave_a_task_waiting(kind, sem):
    """Runs a loop until a task awaits `sem`, then closes the loop under it."""
    loop = new_loop(kind)

    async def start():
        task = asyncio.create_task(sem.acquire_async())
        await asyncio.sleep(0.2)  # our waiter (ring or helper) sits on the futex
        return task

    task = loop.run_until_complete(start())
    loop.close()
    return task


@pytest.mark.parametrize("kind", LOOPS)
def test_a_wake_for_a_closed_loop_is_handed_on_to_a_blocked_process(sem_name, kind):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    task = leave_a_task_waiting(kind, sem)
    child = start_child(BLOCKED, sem.name, 20)
    wait_for_line(child, "waiting")
    time.sleep(0.3)  # blocked in sem_wait, queued after our waiter
    sem.release()  # sem_post wakes ONE waiter: ours
    out, err = child.communicate(timeout=60)
    ok, waited = out.split()
    print(f"\n{kind}: the blocked process got the unit after {float(waited) * 1e3:.1f} ms")
    assert ok == "True", err
    assert float(waited) < 5  # else the helper ate the wake: 20 s and False
    assert sem.value == 0
    del task
    sem.close()


@pytest.mark.parametrize("kind", LOOPS)
def test_the_helper_survives_a_closed_loop_and_serves_the_next_one(sem_name, kind, wait_mode):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    task = leave_a_task_waiting(kind, sem)
    sem.release()  # its wake-up goes to a closed loop
    time.sleep(0.2)
    assert sem.value == 1  # nobody took it

    async def main():
        assert await sem.acquire_async(timeout=5) is True  # free: taken at once
        waiter = asyncio.create_task(sem.acquire_async(timeout=10))
        await asyncio.sleep(0.05)
        sem.release()
        return await waiter

    loop = new_loop(kind)
    try:
        assert loop.run_until_complete(main()) is True
    finally:
        loop.close()
    del task
    sem.close()
