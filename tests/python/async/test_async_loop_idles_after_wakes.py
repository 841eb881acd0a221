"""After tasks were woken by posts from another process, a loop whose task
waits again is idle: whatever the loop watches (the ring's descriptor in
uring mode, readable while completions are queued; the helper's wake-ups
otherwise) stops being ready once read, so the loop does not spin."""

import asyncio
import time

from nob.ipc import Flags, NamedSemaphore, RobustSemaphore

import pytest

from async_loops import poster, run, wait_mode  # noqa: F401 (fixtures)

WAKES = 20
IDLE = 0.5         # seconds the loop waits afterwards, nothing posted
IDLE_CPU = 0.05    # the loop thread's CPU time meanwhile (a spinning loop: most of IDLE)


@pytest.mark.parametrize("kind", ["named", "robust"])
def test_the_loop_thread_is_idle_while_a_task_waits_after_wakes(run, sem_name, wait_mode,
                                                                 poster, kind):
    if kind == "named":
        sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    else:
        sem = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
        assert sem.acquire(False)  # each wake: we release it, the waiting task takes it

    def post():
        if kind == "named":
            poster.post(sem.name, 1, 0.002)  # another process
        else:
            asyncio.get_running_loop().call_later(0.002, sem.release)

    async def main():
        for _ in range(WAKES):
            task = asyncio.create_task(sem.acquire_async())
            await asyncio.sleep(0.005)
            post()
            assert await asyncio.wait_for(task, 10) is True
            if kind == "named":
                poster.posted()
        task = asyncio.create_task(sem.acquire_async())
        await asyncio.sleep(0.05)  # waiting again; the last wake's requests have ended
        cpu = time.thread_time()
        await asyncio.sleep(IDLE)
        idle_cpu = time.thread_time() - cpu
        assert not task.done()
        post()
        assert await asyncio.wait_for(task, 10) is True
        if kind == "named":
            poster.posted()
        return idle_cpu

    try:
        idle_cpu = run(main())
    finally:
        if kind == "robust":
            sem.release(sem.held)
        sem.close()
    print(f"\n{wait_mode} {kind}: loop thread CPU {idle_cpu * 1e3:.2f} ms in "
          f"{IDLE * 1e3:.0f} ms idle after {WAKES} wakes")
    assert idle_cpu < IDLE_CPU
