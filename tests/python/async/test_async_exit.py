"""A process that exits while tasks still await a semaphore (on a loop that
was stopped and is never run again, or a daemon thread's loop that is busy) exits at once,
hands on a wake its waiter (ring or helper thread) took for them (else a process blocked in
a plain acquire sleeps through the unit) and leaves no waiter registered in
the semaphore (else every post, forever, makes a futex system call)."""

import asyncio
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from nob.ipc import Flags, NamedSemaphore

from conftest import start_child, wait_for_line
from test_async_wake import BLOCKED
from async_loops import waiters_registered, wait_mode  # noqa: F401 (fixtures)

LEFT_WAITING = {
    "a stopped loop": """
        loop = asyncio.new_event_loop()
        async def start():
            task = asyncio.create_task(sem.acquire_async())
            await asyncio.sleep(0.2)
            return task
        task = loop.run_until_complete(start())  # the loop stops; the task waits on
    """,
    "a daemon thread's busy loop": """
        import threading
        async def main():
            task = asyncio.create_task(sem.acquire_async())
            await asyncio.sleep(0.1)
            time.sleep(3600)  # the loop is busy until the process exits
        threading.Thread(target=asyncio.run, args=(main(),), daemon=True).start()
        time.sleep(0.3)
    """,
}

HEAD = """
import asyncio, sys, time
from nob.ipc import NamedSemaphore
sem = NamedSemaphore(sys.argv[1])
"""
TAIL = """
print("waiting", flush=True)
sys.stdin.readline()  # the test posts meanwhile
"""



@pytest.mark.parametrize("where", sorted(LEFT_WAITING))
def test_exiting_with_tasks_waiting_hands_on_the_wake_and_unregisters(sem_name, where):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    script = HEAD + textwrap.dedent(LEFT_WAITING[where]) + TAIL
    proc = subprocess.Popen([sys.executable, "-c", script, sem.name],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "waiting"
        blocked = start_child(BLOCKED, sem.name, 20)
        wait_for_line(blocked, "waiting")
        time.sleep(0.3)  # blocked in sem_wait, queued after the other process's helper
        sem.release()  # ONE wake: to that helper, whose loop never runs again
        time.sleep(0.2)
        proc.stdin.close()  # it exits
        assert proc.wait(timeout=30) == 0
        out, err = blocked.communicate(timeout=60)
        ok, waited = out.split()
        print(f"\n{where}: the blocked process got the unit after {float(waited) * 1e3:.1f} ms")
        assert ok == "True", "the exiting process kept the only wake: " + err
        assert waiters_registered(sem.name) == 0
        assert sem.value == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        sem.close()


def test_ctrl_c_while_a_task_waits_exits_and_unregisters(sem_name, wait_mode):
    sem = NamedSemaphore(sem_name, 0, Flags.RAISE_IF_EXISTS)
    script = HEAD + textwrap.dedent("""
        async def main():
            print("waiting", flush=True)
            await sem.acquire_async()
        asyncio.run(main())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script, sem.name],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "waiting"
        time.sleep(0.3)
        assert waiters_registered(sem.name) == (0 if wait_mode == "poll" else 1)  # poll: no count
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert "KeyboardInterrupt" in err
        assert waiters_registered(sem.name) == 0
        assert sem.value == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        sem.close()
