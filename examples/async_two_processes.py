"""Two processes, one asyncio event loop: the parent's tasks await a nob.ipc
semaphore that a second process posts, while the loop keeps ticking.

    python examples/async_two_processes.py [NAME]

The parent creates the semaphore at 0, starts this same script as a child
("post" mode), and awaits three units with acquire_async(); a fourth wait
is cancelled and takes nothing. Exit status 0 when everything arrived.
"""

import asyncio
import os
import subprocess
import sys
import time

from nob.ipc import Flags, NamedSemaphore


def post(name, count):
    """The child: post `count` units, 50 ms apart."""
    sem = NamedSemaphore(name)
    for _ in range(count):
        time.sleep(0.05)
        sem.release()
    sem.close()


async def parent(name):
    sem = NamedSemaphore(name, 0, Flags.RAISE_IF_EXISTS)  # unlinked again by close()
    ticks = 0

    async def ticker():  # proof that the loop is never blocked
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    tick = asyncio.create_task(ticker())
    child = subprocess.Popen([sys.executable, __file__, "post", name, "3"])
    try:
        for i in range(3):
            t = time.monotonic()
            assert await sem.acquire_async(timeout=30), "no post within 30 s"
            print(f"unit {i + 1} after {(time.monotonic() - t) * 1e3:.0f} ms, loop ticks so far {ticks}")
        late = asyncio.create_task(sem.acquire_async())
        await asyncio.sleep(0.05)
        late.cancel()  # a cancelled wait takes no unit
        try:
            await late
        except asyncio.CancelledError:
            print("the fourth wait was cancelled; value is still", sem.value)
        sem.release()
        async with sem:  # acquire_async() ... release()
            print("inside async with; value", sem.value)
    finally:
        tick.cancel()
        assert child.wait(timeout=30) == 0
        sem.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["post"]:
        post(sys.argv[2], int(sys.argv[3]))
    else:
        asyncio.run(parent(sys.argv[1] if len(sys.argv) > 1 else f"/nob-example-async-{os.getpid()}"))
