"""Shared by the asyncio tests (test_async_*.py): the event loops every test
runs under, the waiting modes, and a poster process that releases units
on command from another process."""

import asyncio
import os
import struct
import subprocess
import sys
import textwrap

import pytest

try:
    import uvloop
except ImportError:  # pragma: no cover - the test extra installs it
    uvloop = None

LOOPS = [
    "asyncio",
    pytest.param("uvloop", marks=pytest.mark.skipif(uvloop is None, reason="uvloop not installed")),
]


def new_loop(kind):
    """A new event loop of `kind` ("asyncio" or "uvloop")."""
    return uvloop.new_event_loop() if kind == "uvloop" else asyncio.new_event_loop()


@pytest.fixture(params=LOOPS)
def run(request):
    """run(coro) runs `coro` to completion on a new loop of the parametrised kind."""
    def run_on_loop(coro):
        loop = new_loop(request.param)
        try:
            return loop.run_until_complete(coro)
        finally:
            loop.close()
    return run_on_loop


@pytest.fixture
def wait_mode():
    """How this run's awaits wait: "uring", "thread" or "poll" (NOB_ASYNC_WAIT
    picks it; without it the best this kernel allows). tests/steps/20-python.sh
    runs the asyncio tests once per mode."""
    from nob.ipc import async_wait_mode
    return async_wait_mode()


def env_with_mode(mode):
    """os.environ for a child interpreter whose awaits wait in `mode` (None: as it chooses)."""
    env = dict(os.environ)
    env.pop("NOB_ASYNC_WAIT", None)
    if mode is not None:
        env["NOB_ASYNC_WAIT"] = mode
    return env


@pytest.fixture(params=["thread", "poll"])
def helper_mode(request, monkeypatch):
    """The two modes with a helper thread, for tests of the helper itself
    (whatever mode the run uses otherwise)."""
    from nob.ipc import async_wait_mode
    monkeypatch.setenv("NOB_ASYNC_WAIT", request.param)
    if async_wait_mode() != request.param:
        pytest.skip(f"this kernel has no {request.param} mode")
    return request.param


def waiters_registered(name):
    """The waiter count of glibc's 64-bit sem_t (the high half of its first word)."""
    with open("/dev/shm/sem." + name.lstrip("/"), "rb") as f:
        return struct.unpack("<II", f.read(8))[1]


def thread_count():
    """Threads of this process, as the kernel sees them."""
    return len(os.listdir("/proc/self/task"))


POSTER = textwrap.dedent("""
    import sys, time
    from nob.ipc import NamedSemaphore
    sems = {}
    print("ready", flush=True)
    for line in sys.stdin:
        name, n, delay = line.split()
        sem = sems.get(name) or sems.setdefault(name, NamedSemaphore(name))
        if float(delay) > 0:
            time.sleep(float(delay))
        t = time.monotonic()
        for _ in range(int(n)):
            sem.release()
        print("posted", t, flush=True)
""")


class Poster:
    """Another process that releases units of named semaphores on command."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", POSTER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        assert self.proc.stdout.readline().strip() == "ready"

    def post(self, name, n=1, delay=0.0):
        """Asks for `n` releases of `name` after `delay` seconds; returns at once."""
        self.proc.stdin.write(f"{name} {n} {delay}\n")
        self.proc.stdin.flush()

    def posted(self):
        """Waits for the next post to finish; its time.monotonic() just before the first release."""
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "posted", line
        return float(line[1])

    def close(self):
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0


@pytest.fixture
def poster():
    p = Poster()
    yield p
    p.close()
