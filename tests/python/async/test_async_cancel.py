"""Cancelling an awaiting task takes no unit: with posts from another process
landing at about the moment of the cancel, no unit is lost or taken twice."""

import asyncio
import random
import time

from nob.ipc import Flags, NamedSemaphore

from async_loops import poster, run, wait_mode  # noqa: F401 (fixtures)

ROUNDS = 300


def test_random_cancels_racing_posts_lose_no_unit(run, sem_name, wait_mode, poster):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    rng = random.Random(12)
    stats = {"taken": 0, "cancelled": 0, "posted": 0, "timed_out": 0}

    async def one_round():
        waiters = [asyncio.create_task(sem.acquire_async(timeout=rng.choice([None, 0.003, 5])))
                   for _ in range(rng.randint(1, 4))]
        await asyncio.sleep(rng.uniform(0, 0.002))
        posts = rng.randint(0, 3)
        for _ in range(posts):
            poster.post(sem.name, 1, rng.uniform(0, 0.004))
        stats["posted"] += posts
        await asyncio.sleep(rng.uniform(0, 0.004))
        for t in rng.sample(waiters, rng.randint(0, len(waiters))):
            t.cancel()
        for _ in range(posts):
            poster.posted()  # blocks the loop a moment: wakes pile up meanwhile
        # Every post has landed: let the survivors take what is there (a
        # deadline, not a number of ticks: a loaded machine may take a while).
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            await asyncio.sleep(0.001)
            pending = [t for t in waiters if not t.done()]
            if not pending or sem.value == 0:
                break
        # A unit on the semaphore while a task still waits for it would be a lost wake.
        await asyncio.sleep(0.02)
        assert not (any(not t.done() for t in waiters) and sem.value > 0), "a wake was lost"
        for t in waiters:
            t.cancel()
        for t in waiters:
            try:
                ok = await t
            except asyncio.CancelledError:
                stats["cancelled"] += 1
            else:
                stats["taken" if ok else "timed_out"] += 1

    async def main():
        for _ in range(ROUNDS):
            await one_round()

    run(main())
    print(f"\n{wait_mode}: {stats}, value at the end {sem.value}")
    assert stats["taken"] + sem.value == stats["posted"]
    assert stats["cancelled"] > ROUNDS // 2 and stats["taken"] > ROUNDS // 2
    sem.close()


def test_a_task_woken_then_cancelled_hands_its_wake_to_the_next_task(run, sem_name, wait_mode):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)

    async def main():
        first = asyncio.create_task(sem.acquire_async())
        second = asyncio.create_task(sem.acquire_async())
        await asyncio.sleep(0.05)
        sem.release()
        time.sleep(0.2)  # the loop is blocked: the helper queues its wake-up meanwhile
        # Runs right after that wake-up, which has woken `first` but not run it yet.
        asyncio.get_running_loop().call_soon(first.cancel)
        done, pending = await asyncio.wait([first, second], timeout=10)
        for t in pending:
            t.cancel()
        return await asyncio.gather(first, second, return_exceptions=True)

    try:
        first, second = run(main())
        assert isinstance(first, asyncio.CancelledError)
        assert second is True
        assert sem.value == 0
    finally:
        sem.close()  # a failure leaves no name behind
