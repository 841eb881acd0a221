"""acquire_async and `async with`: results, timeouts, argument checks, closed semaphores."""

import asyncio
import math
import time

import pytest

from nob.ipc import ArgumentTypeError, Flags, NamedSemaphore

from async_loops import poster, run, wait_mode  # noqa: F401 (fixtures)


@pytest.fixture
def sem(sem_name):
    s = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    yield s
    s.close()


def test_a_free_unit_is_taken_at_once(run, sem):
    sem.release(2)

    async def main():
        return [await sem.acquire_async(), await sem.acquire_async(timeout=0)]

    assert run(main()) == [True, True]
    assert sem.value == 0


@pytest.mark.parametrize("timeout", [0, 0.0, 0.05, 1e-9])
def test_a_timeout_gives_false_and_takes_nothing(run, sem, wait_mode, timeout):
    async def main():
        t0 = time.monotonic()
        ok = await sem.acquire_async(timeout=timeout)
        return ok, time.monotonic() - t0

    ok, took = run(main())
    assert ok is False
    assert took >= timeout
    assert sem.value == 0


def test_a_post_within_the_timeout_is_taken(run, sem, wait_mode, poster):
    async def main():
        poster.post(sem.name, 1, 0.05)
        return await sem.acquire_async(timeout=30)

    assert run(main()) is True
    poster.posted()
    assert sem.value == 0


def test_async_with_takes_and_gives_back(run, sem, wait_mode, poster):
    async def main():
        poster.post(sem.name, 1, 0.02)
        async with sem as got:
            assert got is sem
            assert sem.value == 0
        return sem.value

    assert run(main()) == 1
    poster.posted()


def test_async_with_gives_back_when_the_body_raises(run, sem):
    sem.release()

    async def main():
        with pytest.raises(KeyError):
            async with sem:
                raise KeyError("body")

    run(main())
    assert sem.value == 1


def test_the_loop_keeps_running_while_a_task_waits(run, sem, wait_mode):
    async def main():
        waiter = asyncio.create_task(sem.acquire_async())
        ticks = 0
        for _ in range(20):
            await asyncio.sleep(0.005)
            ticks += 1
        assert not waiter.done()
        sem.release()  # from this very loop
        assert await asyncio.wait_for(waiter, 10) is True
        return ticks

    assert run(main()) == 20
    assert sem.value == 0


BAD_TIMEOUTS = [-1, -0.001, -math.inf, math.nan, "1", b"1", True, False, [], 1j]


@pytest.mark.parametrize("timeout", BAD_TIMEOUTS, ids=repr)
def test_bad_timeouts_raise_value_error_at_the_call(sem, timeout):
    with pytest.raises(ValueError):
        sem.acquire_async(timeout=timeout)
    sem.close()  # checked before the handle: a closed one gives the same error
    with pytest.raises(ValueError) as e:
        sem.acquire_async(timeout=timeout)
    assert "closed" not in str(e.value)


@pytest.mark.parametrize("timeout", ["1", None.__class__, object()], ids=repr)
def test_a_timeout_of_the_wrong_type_is_also_a_type_error(sem, timeout):
    with pytest.raises(ArgumentTypeError):
        sem.acquire_async(timeout)


@pytest.mark.parametrize("timeout", [None, math.inf, 10**400, 2**63])
def test_forever_is_none_inf_or_a_huge_int(run, sem, timeout, poster):
    async def main():
        poster.post(sem.name, 1, 0.02)
        return await sem.acquire_async(timeout=timeout)

    assert run(main()) is True
    poster.posted()


def test_awaiting_a_closed_semaphore_raises_value_error(run, sem):
    sem.close()

    async def main():
        with pytest.raises(ValueError, match="closed"):
            await sem.acquire_async()
        with pytest.raises(ValueError, match="closed"):
            async with sem:
                pytest.fail("the body must not run")

    run(main())


def test_close_while_tasks_await_wakes_them_with_value_error(run, sem_name, wait_mode):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    other = NamedSemaphore(sem_name)  # a second handle stays open

    async def main():
        tasks = [asyncio.create_task(sem.acquire_async()) for _ in range(5)]
        await asyncio.sleep(0.05)
        sem.close()
        assert sem.closed
        done, pending = await asyncio.wait(tasks, timeout=10)
        assert not pending
        return [type(t.exception()) for t in tasks]

    assert run(main()) == [ValueError] * 5
    other.release()
    assert other.value == 1  # the semaphore is intact, and the tasks took nothing
    other.close()


def test_a_task_cancelled_while_waiting_raises_cancelled_error(run, sem, wait_mode):
    async def main():
        task = asyncio.create_task(sem.acquire_async())
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        sem.release()
        return await sem.acquire_async(timeout=0)

    assert run(main()) is True  # the cancelled task took nothing
    assert sem.value == 0


def test_acquire_async_needs_a_running_loop_only_when_it_must_wait(sem):
    sem.release()
    coro = sem.acquire_async()
    with pytest.raises(StopIteration) as stop:
        coro.send(None)  # a free unit: no loop needed
    assert stop.value.value is True
    coro = sem.acquire_async()
    with pytest.raises(RuntimeError):
        coro.send(None)
    assert sem.value == 0
