"""Hundreds of semaphores awaited at once: every one wakes its task. In
uring mode with no thread at all; with helper threads, one per 127
semaphores (a futex_waitv call holds 127 besides the helper's own word),
and none is polled for lack of room (600 is past the old cliff of 4
helpers, 508 semaphores, beyond which nob used to poll)."""

import asyncio
import time

from nob.ipc import Flags, NamedSemaphore, _async

from async_loops import poster, run, thread_count, wait_mode  # noqa: F401 (fixtures)

COUNT = 600


def test_600_semaphores_awaited_at_once_all_wake(run, make_name, wait_mode, poster):
    sems = [NamedSemaphore(make_name(str(i)), 0, Flags.RAISE_IF_EXISTS) for i in range(COUNT)]

    async def main():
        before = thread_count(), _async._thread_census()
        tasks = [asyncio.create_task(s.acquire_async(timeout=60)) for s in sems]
        await asyncio.sleep(0.2)
        during = thread_count(), _async._thread_census()
        assert not any(t.done() for t in tasks)
        t0 = time.monotonic()
        for s in reversed(sems):  # the last registered first
            poster.post(s.name, 1)
        results = await asyncio.wait_for(asyncio.gather(*tasks), 60)
        return before, during, results, time.monotonic() - t0

    try:
        before, during, results, took = run(main())
        for _ in sems:
            poster.posted()
        (threads_before, (_, futex_before, polled_before)) = before
        (threads_during, (helpers, futex, polled)) = during
        print(f"\n{wait_mode}: {COUNT} semaphores woke in {took * 1e3:.0f} ms; threads "
              f"{threads_before} -> {threads_during}; helpers {helpers}, futex_waitv slots "
              f"{futex_before} -> {futex}, polled {polled_before} -> {polled}")
        assert results == [True] * COUNT
        assert [s.value for s in sems] == [0] * COUNT
        # (Tasks left on closed loops by earlier tests may still hold slots.)
        if wait_mode == "uring":
            assert threads_during == threads_before  # no thread at all
            assert (futex - futex_before, polled - polled_before) == (0, 0)
        elif wait_mode == "thread":
            assert (futex - futex_before, polled - polled_before) == (COUNT, 0)
            assert helpers == (futex + polled + 126) // 127  # no more helpers than that
        else:
            assert (futex - futex_before, polled - polled_before) == (0, COUNT)
    finally:
        for s in sems:
            s.close()


def test_tasks_on_many_semaphores_time_out_independently(run, make_name, wait_mode):
    sems = [NamedSemaphore(make_name(str(i)), 0, Flags.RAISE_IF_EXISTS) for i in range(150)]

    async def main():
        tasks = [asyncio.create_task(s.acquire_async(timeout=0.05 + 0.001 * i))
                 for i, s in enumerate(sems)]
        await asyncio.sleep(0.02)
        sems[7].release()
        return await asyncio.wait_for(asyncio.gather(*tasks), 60)

    results = run(main())
    assert results == [i == 7 for i in range(150)]
    for s in sems:
        s.close()
