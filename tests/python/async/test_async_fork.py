"""A forked child starts its waiting machinery afresh: no helper thread
(threads do not survive fork) and no io_uring of the parent's (a ring is
its loop's: the child makes its own when it first awaits), and the child's
waits work as the parent's do, while the parent's go on."""

import asyncio
import os

from nob.ipc import Flags, NamedSemaphore, _async

from async_loops import run, wait_mode  # noqa: F401 (fixtures)


def machinery(loop=None):
    """(helper threads, rings) of this process (with `loop`: that loop's ring)."""
    return _async._thread_count(), _async._ring_count(loop)


def test_a_forked_child_awaits_with_machinery_of_its_own(run, make_name, wait_mode):
    parent_sem = NamedSemaphore(make_name("p"), 0, Flags.RAISE_IF_EXISTS)
    child_sem = NamedSemaphore(make_name("c"), 0, Flags.RAISE_IF_EXISTS)
    waiting = (0, 1) if wait_mode == "uring" else (1, 0)

    async def main():
        waiter = asyncio.create_task(parent_sem.acquire_async(timeout=30))
        await asyncio.sleep(0.05)  # the parent's machinery waits on parent_sem
        assert machinery(asyncio.get_running_loop()) == waiting
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                assert machinery() == (0, 0)  # nothing inherited
                child_sem.release()

                async def child():
                    return await child_sem.acquire_async(timeout=0.05), \
                        await child_sem.acquire_async(timeout=0.05)

                got = asyncio.new_event_loop().run_until_complete(child())
                status = 0 if got == (True, False) and machinery() == waiting else 2
                parent_sem.release()  # wakes the parent's task
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        assert await waiter is True
        return os.waitstatus_to_exitcode(status)

    assert run(main()) == 0
    parent_sem.close()
    child_sem.close()
