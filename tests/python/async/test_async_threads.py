"""Many event loops, each in its own thread, await the same semaphore (and
one handle each of it) while another process posts: every unit reaches
exactly one task, none is lost, and no loop stalls."""

import asyncio
import threading

import pytest

from async_loops import poster, wait_mode  # noqa: F401  (fixtures)
from nob.ipc import Flags, NamedSemaphore

LOOPS = 6
TASKS = 20  # per loop


@pytest.mark.parametrize("handles", ["one shared handle", "a handle per loop"])
def test_loops_in_many_threads_share_the_posts_of_another_process(sem_name, wait_mode, poster,
                                                                  handles):
    owner = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    total = LOOPS * TASKS
    results = [None] * LOOPS
    started = threading.Barrier(LOOPS + 1)

    def loop_thread(i):
        sem = owner if handles == "one shared handle" else NamedSemaphore(sem_name)

        async def main():
            tasks = [asyncio.create_task(sem.acquire_async(timeout=60)) for _ in range(TASKS)]
            await asyncio.sleep(0.1)
            started.wait()
            return sum(await asyncio.gather(*tasks))

        try:
            results[i] = asyncio.run(main())
        finally:
            if sem is not owner:
                sem.close()

    threads = [threading.Thread(target=loop_thread, args=(i,)) for i in range(LOOPS)]
    for t in threads:
        t.start()
    started.wait()
    for _ in range(total):
        poster.post(owner.name, 1)
    for _ in range(total):
        poster.posted()
    for t in threads:
        t.join(90)
        assert not t.is_alive(), "a loop stalled"
    assert results == [TASKS] * LOOPS
    assert owner.value == 0
    owner.close()
