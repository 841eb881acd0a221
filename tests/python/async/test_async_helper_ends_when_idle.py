"""The helper thread does not outlive the waits: a process with nothing
awaited has no helper thread after a short idle time, so a later os.fork()
is a fork of a single-threaded process (Python 3.12+ warns "multi-threaded,
use of fork() may lead to deadlocks" otherwise), and the next await starts a
helper again."""

import os
import subprocess
import sys
import textwrap

import pytest

from async_loops import env_with_mode

from nob.ipc import Flags, NamedSemaphore

CHILD = textwrap.dedent("""
    import asyncio, os, sys, time, warnings
    from nob.ipc import NamedSemaphore
    sem = NamedSemaphore(sys.argv[1])

    def threads():
        return len(os.listdir("/proc/self/task"))

    async def one_wait():
        task = asyncio.ensure_future(sem.acquire_async(timeout=30))
        await asyncio.sleep(0.1)
        waiting = threads()
        sem.release()
        assert await task is True
        return waiting

    def idle_until_single_threaded():
        t = time.monotonic()
        while threads() > 1 and time.monotonic() - t < 10:
            time.sleep(0.01)
        return time.monotonic() - t

    for round in range(2):
        waiting = asyncio.run(one_wait())
        took = idle_until_single_threaded()
        print(f"round {round}: {waiting} threads while waiting, {threads()} after "
              f"{took:.2f} s", flush=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    print("forked with warnings:", [str(w.message) for w in caught], flush=True)
""")


@pytest.mark.parametrize("mode", ["thread", "poll"])
def test_the_helper_thread_ends_when_nothing_is_awaited(sem_name, mode):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    env = env_with_mode(mode)
    try:
        r = subprocess.run([sys.executable, "-c", CHILD, sem.name], env=env,
                           capture_output=True, text=True, timeout=120)
        print(f"\n{mode}:\n{r.stdout}{r.stderr}")
        lines = r.stdout.splitlines()
        assert r.returncode == 0, r.stderr
        for line in lines[:2]:
            waiting, after = int(line.split()[2]), int(line.split()[6])
            assert (waiting, after) == (2, 1), line  # one helper while waiting, none after
        assert lines[2] == "forked with warnings: []"
        assert sem.value == 0
    finally:
        sem.close()
