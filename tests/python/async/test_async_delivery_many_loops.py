"""One wake-up round of the helper thread serves several event loops, one
loop.call_soon_threadsafe each, and that call may release the GIL. Another
loop's thread may meanwhile stop waiting on one of its semaphores: every
other channel of that round must still be woken (a task must never sleep
while its semaphore has a free unit).

The first loop's call_soon_threadsafe is slowed by 50 ms, and the second
loop's task on another semaphore is cancelled inside that window, which makes
the interleaving certain."""

import asyncio
import threading
import time

import pytest

from nob.ipc import Flags, NamedSemaphore

from async_loops import LOOPS, new_loop, helper_mode  # noqa: F401 (fixtures)


@pytest.mark.parametrize("second_kind", LOOPS)
def test_a_task_leaving_during_a_slow_hand_off_does_not_strand_another_loops_wake(
        make_name, helper_mode, second_kind):
    first_sem = NamedSemaphore(make_name("a"), 0, Flags.RAISE_IF_EXISTS)
    leaving_sem = NamedSemaphore(make_name("b"), 0, Flags.RAISE_IF_EXISTS)
    staying_sem = NamedSemaphore(make_name("c"), 0, Flags.RAISE_IF_EXISTS)
    first = asyncio.new_event_loop()  # asyncio: its call_soon_threadsafe can be patched
    second = new_loop(second_kind)
    ready = threading.Barrier(3)
    results = {}
    box = {}  # the second loop's task that leaves
    slowed = []

    def slow_call_soon_threadsafe(callback, *args, **kwargs):
        if not slowed:
            slowed.append(True)
            # The second loop's task leaves while this hand-off holds the helper.
            second.call_soon_threadsafe(box["leaving"].cancel)
            time.sleep(0.05)
        return real_call_soon_threadsafe(callback, *args, **kwargs)

    real_call_soon_threadsafe = first.call_soon_threadsafe
    first.call_soon_threadsafe = slow_call_soon_threadsafe

    async def first_main():
        task = asyncio.ensure_future(first_sem.acquire_async(timeout=10))
        await asyncio.sleep(0.2)  # registered before the second loop's semaphores
        ready.wait()
        return await task

    async def second_main():
        await asyncio.sleep(0.1)
        # The channel that leaves is registered first, so it comes first in the round.
        leaving = box["leaving"] = asyncio.ensure_future(leaving_sem.acquire_async(timeout=10))
        staying = asyncio.ensure_future(staying_sem.acquire_async())
        await asyncio.sleep(0.2)
        ready.wait()
        try:
            await leaving
        except asyncio.CancelledError:
            results["leaving"] = "cancelled"
        # A lost wake leaves `staying` asleep while its semaphore has a unit:
        # no timeout of its own (a timed-out wait takes a unit that is there).
        done, _ = await asyncio.wait([staying], timeout=5)
        if not done:
            staying.cancel()
            return "stranded"
        return staying.result()

    def run(name, loop, coro):
        try:
            results[name] = loop.run_until_complete(coro)
        finally:
            loop.close()

    threads = [threading.Thread(target=run, args=("first", first, first_main())),
               threading.Thread(target=run, args=("second", second, second_main()))]
    try:
        for t in threads:
            t.start()
        ready.wait()
        time.sleep(0.05)  # both loops are back in their selectors
        # Three posts while this thread holds the GIL: the helper sees them in one round.
        first_sem.release()
        leaving_sem.release()
        staying_sem.release()
        for t in threads:
            t.join(30)
        assert slowed, "the slow hand-off never ran"
        print(f"\n{helper_mode}, second loop {second_kind}: {results}")
        assert results == {"first": True, "leaving": "cancelled", "second": True}, \
            "the second loop's remaining task slept while its semaphore had a unit"
        assert (first_sem.value, leaving_sem.value, staying_sem.value) == (0, 1, 0)
    finally:
        for s in (first_sem, leaving_sem, staying_sem):
            s.close()
