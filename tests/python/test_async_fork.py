"""A forked child starts its own helper thread: threads do not survive fork,
and the child's waits work as the parent's do, while the parent's go on."""

import asyncio
import os

from nob.ipc import Flags, NamedSemaphore, _async

from async_loops import run  # noqa: F401 (fixture)


def test_a_forked_child_awaits_with_a_fresh_helper_thread(run, make_name):
    parent_sem = NamedSemaphore(make_name("p"), 0, Flags.RAISE_IF_EXISTS)
    child_sem = NamedSemaphore(make_name("c"), 0, Flags.RAISE_IF_EXISTS)

    async def main():
        waiter = asyncio.create_task(parent_sem.acquire_async(timeout=30))
        await asyncio.sleep(0.05)  # the parent's helper thread waits on parent_sem
        assert _async._thread_count() >= 1
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                assert _async._thread_count() == 0  # nothing inherited
                child_sem.release()

                async def child():
                    return await child_sem.acquire_async(timeout=0.05), \
                        await child_sem.acquire_async(timeout=0.05)

                got = asyncio.new_event_loop().run_until_complete(child())
                status = 0 if got == (True, False) and _async._thread_count() == 1 else 2
                parent_sem.release()  # wakes the parent's task
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        assert await waiter is True
        return os.waitstatus_to_exitcode(status)

    assert run(main()) == 0
    parent_sem.close()
    child_sem.close()
