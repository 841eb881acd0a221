"""Thousands of tasks await one semaphore while another process posts: no
thread per waiter, the loop stays responsive, every unit reaches one task."""

import asyncio
import statistics
import time

from nob.ipc import Flags, NamedSemaphore

from async_loops import poster, run, thread_count, wait_method  # noqa: F401 (fixtures)

TASKS = 2000


def test_2000_tasks_are_served_by_posts_from_another_process(run, sem_name, wait_method, poster):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)

    async def main():
        threads_before = thread_count()
        lags = []
        stop = False

        async def ticker():
            while not stop:
                t = time.monotonic()
                await asyncio.sleep(0.001)
                lags.append(time.monotonic() - t - 0.001)

        tick = asyncio.create_task(ticker())
        tasks = [asyncio.create_task(sem.acquire_async()) for _ in range(TASKS)]
        await asyncio.sleep(0.2)
        assert not any(t.done() for t in tasks)
        threads_waiting = thread_count()
        t0 = time.monotonic()
        poster.post(sem.name, TASKS)
        results = await asyncio.wait_for(asyncio.gather(*tasks), 120)
        took = time.monotonic() - t0
        stop = True
        await tick
        return threads_before, threads_waiting, results, took, lags

    before, waiting, results, took, lags = run(main())
    poster.posted()
    lags.sort()
    p90 = lags[int(len(lags) * 0.9)]
    print(f"\n{wait_method}: {TASKS} tasks served in {took * 1e3:.0f} ms; threads {before} -> "
          f"{waiting}; loop lag median {statistics.median(lags) * 1e3:.2f} ms, "
          f"p90 {p90 * 1e3:.2f} ms, max {lags[-1] * 1e3:.2f} ms ({len(lags)} ticks)")
    assert results == [True] * TASKS
    assert sem.value == 0
    assert waiting - before <= 3
    assert p90 < 0.020
    sem.close()


def test_waiters_are_served_first_come_first_served(run, sem_name, poster):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    order = []

    async def waiter(i):
        assert await sem.acquire_async()
        order.append(i)

    async def main():
        tasks = []
        for i in range(50):
            tasks.append(asyncio.create_task(waiter(i)))
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        for _ in range(50):
            poster.post(sem.name, 1)
            poster.posted()
            await asyncio.sleep(0.002)
        await asyncio.wait_for(asyncio.gather(*tasks), 60)

    run(main())
    assert order == list(range(50))
    sem.close()
