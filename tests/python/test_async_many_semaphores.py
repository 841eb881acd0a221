"""Hundreds of semaphores awaited at once (more than one futex_waitv call
holds): every one wakes its task, with a handful of helper threads."""

import asyncio
import time

from nob.ipc import Flags, NamedSemaphore, _async

from async_loops import poster, run, thread_count, wait_method  # noqa: F401 (fixtures)

COUNT = 200


def test_200_semaphores_awaited_at_once_all_wake(run, make_name, wait_method, poster):
    sems = [NamedSemaphore(make_name(str(i)), 0, Flags.RAISE_IF_EXISTS) for i in range(COUNT)]

    async def main():
        before = thread_count()
        tasks = [asyncio.create_task(s.acquire_async(timeout=60)) for s in sems]
        await asyncio.sleep(0.2)
        during = thread_count()
        assert not any(t.done() for t in tasks)
        t0 = time.monotonic()
        for s in reversed(sems):  # the last registered first
            poster.post(s.name, 1)
        results = await asyncio.wait_for(asyncio.gather(*tasks), 60)
        return before, during, results, time.monotonic() - t0

    before, during, results, took = run(main())
    for _ in sems:
        poster.posted()
    print(f"\n{wait_method}: {COUNT} semaphores woke in {took * 1e3:.0f} ms; "
          f"threads {before} -> {during}; helpers started so far {_async._thread_count()}")
    assert results == [True] * COUNT
    assert [s.value for s in sems] == [0] * COUNT
    assert during - before <= 3
    for s in sems:
        s.close()


def test_tasks_on_many_semaphores_time_out_independently(run, make_name, wait_method):
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
