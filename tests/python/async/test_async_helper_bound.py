"""Many event loops that start waiting at the same moment share the helper
threads: 64 loops awaiting one semaphore (64 awaited pairs, fewer than one
futex_waitv call holds) start exactly one helper thread, however the starts
interleave. Thread.start() releases the GIL while the new thread starts; a
child interpreter whose Thread.start is slowed by 20 ms makes that window
certain for every loop."""

import os
import subprocess
import sys
import textwrap

import pytest

from async_loops import env_with_mode

CHILD = textwrap.dedent("""
    import asyncio, sys, threading, time
    from nob.ipc import NamedSemaphore
    name, loops = sys.argv[1], int(sys.argv[2])
    starts = []
    real_start = threading.Thread.start

    def start(self):
        if self.name == "nob.ipc-async":
            starts.append(self.name)
            time.sleep(0.02)  # the GIL is free: other loops register meanwhile
        return real_start(self)

    threading.Thread.start = start
    sem = NamedSemaphore(name)
    together = threading.Barrier(loops)
    results = []

    async def main():
        together.wait()
        return await sem.acquire_async(timeout=60)

    threads = [threading.Thread(target=lambda: results.append(asyncio.run(main())))
               for _ in range(loops)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    print(len(starts), flush=True)
    sem.release(loops)
    for t in threads:
        t.join(60)
    print(sum(results), flush=True)
""")


@pytest.mark.parametrize("mode", ["thread", "poll"])
def test_64_loops_starting_together_start_one_helper_thread(sem_name, mode):
    from nob.ipc import Flags, NamedSemaphore
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    env = env_with_mode(mode)
    try:
        r = subprocess.run([sys.executable, "-c", CHILD, sem.name, "64"], env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        helpers, taken = map(int, r.stdout.split())
        print(f"\n{mode}: 64 loops started {helpers} helper thread(s)")
        assert taken == 64
        assert helpers == 1
        assert sem.value == 0
    finally:
        sem.close()
