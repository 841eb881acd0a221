"""close() that lands while a task is still joining the wait (after it took
its hold on the semaphore, before its channel exists) finds no channel to
wake. The task must still raise ValueError at once, not sleep on its future
forever (the name is gone: perhaps nobody ever posts again).

Thread.start() of the first helper thread releases the GIL in the middle of
joining; a fresh child interpreter whose Thread.start closes the semaphore
first makes that window certain."""

import os
import subprocess
import sys
import textwrap

import pytest

from async_loops import LOOPS, env_with_mode

CHILD = textwrap.dedent("""
    import asyncio, sys, threading, time
    from nob.ipc import Flags, NamedSemaphore, _async
    name, loop_kind, mode = sys.argv[1:4]
    assert _async.async_wait_mode() == mode
    sem = NamedSemaphore(name, 0, Flags.RAISE_IF_EXISTS)
    closed_in_start = []
    real_start = threading.Thread.start

    def start(self):
        if self.name == "nob.ipc-async" and not sem.closed:
            sem.close()  # as another thread could while start() waits
            closed_in_start.append(True)
        return real_start(self)

    threading.Thread.start = start

    async def main():
        t = time.monotonic()
        try:
            await asyncio.wait_for(sem.acquire_async(), 10)
        except ValueError as e:
            return f"ValueError {time.monotonic() - t:.3f} {e}"
        except asyncio.TimeoutError:
            return "timed out"
        return "acquired"

    if loop_kind == "uvloop":
        import uvloop
        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    try:
        print(loop.run_until_complete(main()))
    finally:
        loop.close()
    assert closed_in_start, "the helper thread was not started by this wait"
    assert sem.closed
""")


@pytest.mark.parametrize("mode", ["thread", "poll"])
@pytest.mark.parametrize("loop_kind", LOOPS)
def test_close_while_joining_raises_value_error(sem_name, loop_kind, mode):
    env = env_with_mode(mode)
    r = subprocess.run([sys.executable, "-c", CHILD, sem_name, loop_kind, mode], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    outcome = r.stdout.split(maxsplit=2)
    assert outcome[0] == "ValueError", r.stdout
    assert float(outcome[1]) < 5.0, r.stdout  # generous: the machine is loaded
    assert "closed" in outcome[2], r.stdout
    assert not os.path.exists("/dev/shm/sem." + sem_name)  # unlinked by close()
