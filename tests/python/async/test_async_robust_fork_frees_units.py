"""A process that holds a unit of a RobustSemaphore while a task of it awaits
another, and that has forked an ordinary child, frees its unit when it is
SIGKILLed or when it execs, while that child lives on: nothing the child
inherited (the asyncio machinery's own view of the semaphore's file
included) may keep the dead or exec'd process's liveness alive."""

import os
import signal
import time

import pytest

from nob.ipc import Flags, RobustSemaphore

from conftest import start_child, wait_for_line

HOLDER = """
    import asyncio, os, sys, time
    from nob.ipc import RobustSemaphore
    sem = RobustSemaphore(sys.argv[1])
    how = sys.argv[2]
    assert sem.acquire(timeout=30)

    async def main():
        task = asyncio.ensure_future(sem.acquire_async())
        await asyncio.sleep(0.2)  # the task waits: asyncio watches the word
        pid = os.fork()
        if pid == 0:
            time.sleep(120)  # an ordinary child: it never touches the semaphore
            os._exit(0)
        print("forked", pid, flush=True)
        if how == "exec":
            os.execv(sys.executable, [sys.executable, "-c",
                     "import time; print('execd', flush=True); time.sleep(120)"])
        print("holding", flush=True)
        await task

    asyncio.run(main())
"""


def kill_and_wait_until_gone(pid):
    """SIGKILLs a process that is not our child and waits until it has let go
    of its files (it is gone or a zombie), so that closing the pool after it
    unlinks the name."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.01)


@pytest.mark.parametrize("how", ["SIGKILL", "exec"])
def test_a_forked_child_does_not_keep_the_units_of_a_process_that_awaited(sem_name, how):
    pool = RobustSemaphore(sem_name, 1, Flags.RAISE_IF_EXISTS)
    holder = start_child(HOLDER, sem_name, how)
    grandchild = None
    try:
        words = holder.stdout.readline().split()
        assert words and words[0] == "forked", holder.stderr.read()
        grandchild = int(words[1])
        if how == "SIGKILL":
            wait_for_line(holder, "holding")
            holder.send_signal(signal.SIGKILL)
            holder.wait(30)
        else:
            wait_for_line(holder, "execd")
            assert holder.poll() is None
        got = pool.acquire(timeout=5)  # the contract: 250 ms; the machine is loaded
        os.kill(grandchild, 0)  # the forked child still lives
        assert got, "the unit stayed with the process that died or exec'd"
        assert pool.holders()[0].pid == os.getpid()
        pool.release()
    finally:
        if grandchild:
            kill_and_wait_until_gone(grandchild)
        if holder.poll() is None:
            holder.kill()
        holder.wait()
        pool.close()
