"""acquire_async under asyncio's own cancelling wrappers (wait_for,
asyncio.timeout, TaskGroup), with posts from another process landing at
about the moment the wrapper cancels: every unit is either taken by exactly
one task (and given back by it) or still in the semaphore."""

import asyncio
import random
import sys

import pytest

from async_loops import poster, run, wait_mode  # noqa: F401  (fixtures)
from nob.ipc import Flags, NamedSemaphore

ROUNDS = 150


async def waiter(sem, how, delay):
    """One wait through wrapper `how`: True when it took a unit."""
    if how == "wait_for":
        try:
            return await asyncio.wait_for(sem.acquire_async(), delay)
        except asyncio.TimeoutError:
            return False
    if how == "timeout":
        try:
            async with asyncio.timeout(delay):
                return await sem.acquire_async()
        except TimeoutError:
            return False
    raise AssertionError(how)


@pytest.mark.parametrize("how", [
    "wait_for",
    pytest.param("timeout", marks=pytest.mark.skipif(sys.version_info < (3, 11),
                                                    reason="asyncio.timeout is 3.11+")),
])
def test_wrapper_timeouts_racing_posts_lose_no_unit(run, sem_name, wait_mode, poster, how):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    rng = random.Random(7)

    async def main():
        taken = posted = 0
        for _ in range(ROUNDS):
            n = rng.randint(1, 3)
            delay = rng.uniform(0.0, 0.01)
            poster.post(sem.name, n, rng.uniform(0.0, 0.01))
            results = await asyncio.gather(*(waiter(sem, how, delay) for _ in range(4)))
            poster.posted()
            posted += n
            taken += sum(results)
            await asyncio.sleep(0.002)  # a wake the helper still carries lands
            assert taken + sem.value == posted, (taken, sem.value, posted)
        return taken, posted

    taken, posted = run(main())
    print(f"\n{how}: {taken} of {posted} units taken by tasks, the rest by the final check")
    assert 0 < taken <= posted
    sem.close()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup is 3.11+")
def test_a_task_group_cancelled_by_a_failing_task_loses_no_unit(run, sem_name, wait_mode, poster):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    rng = random.Random(11)

    class Boom(Exception):
        pass

    async def main():
        taken = posted = 0
        for _ in range(ROUNDS):
            got = []

            async def take():
                if await sem.acquire_async():
                    got.append(1)

            async def fail(after):
                await asyncio.sleep(after)
                raise Boom

            n = rng.randint(1, 3)
            poster.post(sem.name, n, rng.uniform(0.0, 0.01))
            try:
                async with asyncio.TaskGroup() as tg:
                    for _ in range(4):
                        tg.create_task(take())
                    tg.create_task(fail(rng.uniform(0.0, 0.01)))
            except Exception as group:  # an ExceptionGroup (no except* before 3.11)
                assert all(isinstance(e, Boom) for e in group.exceptions), group
            poster.posted()
            posted += n
            taken += len(got)
            await asyncio.sleep(0.002)
            assert taken + sem.value == posted, (taken, sem.value, posted)
        return taken, posted

    run(main())
    sem.close()
