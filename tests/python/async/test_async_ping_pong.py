"""Two processes that both await with acquire_async pass units back and forth
for thousands of rounds: no wake-up is ever lost (glibc's sem_post wakes ONE
waiter, which may be the other process's ring or helper thread, or one whose
tasks no longer want it), so neither side ever stalls."""

import asyncio
import subprocess
import sys
import textwrap
import time

import pytest

from async_loops import run, wait_mode  # noqa: F401  (fixtures)
from nob.ipc import Flags, NamedSemaphore

ROUNDS = 2000

# argv: mode (async | blocking), rounds, then the names: shared (one unit both
# take and hold a moment), or ping pong (wait on the first, post the second).
CHILD = textwrap.dedent("""
    import asyncio, sys, time
    from nob.ipc import NamedSemaphore
    mode, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    sems = [NamedSemaphore(n) for n in names]
    take = sems[0]
    give = sems[-1]
    async def main():
        for i in range(rounds):
            if mode == "async":
                ok = await take.acquire_async(timeout=20)
            else:
                ok = take.acquire(timeout=20)
            if not ok:
                return f"stalled in round {i}"
            if len(sems) == 1:
                await asyncio.sleep(0.0002)  # hold it: the other side waits
            give.release()
            await asyncio.sleep(0)
        return "done"
    print(asyncio.run(main()), flush=True)
""")


def start(mode, rounds, *names):
    return subprocess.Popen([sys.executable, "-c", CHILD, mode, str(rounds), *names],
                            stdout=subprocess.PIPE, text=True)


def finish(child):
    try:
        out, _ = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0
    return out.strip()


@pytest.mark.parametrize("other", ["async", "blocking"])
@pytest.mark.parametrize("tasks", [1, 3])
def test_one_shared_unit_taken_in_turns_never_stalls(run, sem_name, wait_mode, other, tasks):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    child = start(other, ROUNDS, sem.name)

    async def one(rounds):
        for i in range(rounds):
            assert await sem.acquire_async(timeout=20), f"stalled in round {i}: a wake-up was lost"
            await asyncio.sleep(0.0002)
            sem.release()
            await asyncio.sleep(0)

    async def main():
        await asyncio.sleep(0.3)  # the child waits first
        sem.release()
        await asyncio.gather(*(one(ROUNDS // tasks) for _ in range(tasks)))

    try:
        t = time.monotonic()
        run(main())
        assert finish(child) == "done", "the other process stalled: a wake-up was lost"
        print(f"\n{other}, {tasks} task(s), {wait_mode}: {time.monotonic() - t:.2f} s")
        assert sem.value == 1
    finally:
        sem.close()


@pytest.mark.parametrize("other", ["async", "blocking"])
def test_strict_ping_pong_between_two_processes_never_stalls(run, make_name, wait_mode, other):
    ping = NamedSemaphore(make_name("ping"), 0, Flags.RAISE_IF_EXISTS)
    pong = NamedSemaphore(make_name("pong"), 0, Flags.RAISE_IF_EXISTS)
    child = start(other, ROUNDS, ping.name, pong.name)

    async def main():
        for i in range(ROUNDS):
            ping.release()
            assert await pong.acquire_async(timeout=20), f"stalled in round {i}"

    try:
        t = time.monotonic()
        run(main())
        assert finish(child) == "done"
        print(f"\nping pong with {other}, {wait_mode}: {time.monotonic() - t:.2f} s")
        assert ping.value == 0 and pong.value == 0
    finally:
        ping.close()
        pong.close()
