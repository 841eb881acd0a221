"""A child forked while a task of the parent awaits a semaphore inherits that
task, but not the parent's registration as a waiter in the semaphore: when
the child cleans the task up (its coroutine is closed or collected), the
parent must stay registered, or posts from other processes stop waking the
parent's ring or helper thread and its task sleeps through them.

(The child does not run the inherited loop: an asyncio loop run or closed in
a forked child unregisters the parent's self-pipe from the epoll instance
they share, an asyncio hazard of its own.)"""

import asyncio
import os
import time

import pytest

from nob.ipc import Flags, NamedSemaphore

from async_loops import poster, waiters_registered, wait_mode  # noqa: F401 (fixtures)



def test_a_child_that_cancels_inherited_tasks_leaves_the_parent_registered(sem_name, poster,
                                                                          wait_mode):
    if wait_mode == "poll":
        pytest.skip("polling registers no waiter")
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)

    async def main():
        task = asyncio.create_task(sem.acquire_async(timeout=20))
        await asyncio.sleep(0.2)  # the parent's helper waits on the word
        before = waiters_registered(sem.name)
        pid = os.fork()
        if pid == 0:
            try:
                task.get_coro().close()  # GeneratorExit where it waits: it leaves
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        after = waiters_registered(sem.name)
        poster.post(sem.name, 1)
        t = time.monotonic()
        got = await task
        return before, after, got, time.monotonic() - t

    try:
        before, after, got, took = asyncio.run(main())
        poster.posted()
    finally:
        sem.close()
    print(f"\nwaiters registered before the fork {before}, after the child left {after}; "
          f"the parent's task woke after {took * 1e3:.1f} ms")
    assert after == before == 1
    assert got is True and took < 5
