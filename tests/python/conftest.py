"""Shared fixtures for the nob.ipc suite: unique semaphore names, /dev/shm
hygiene, and helpers to run real child processes.

The suite tests the INSTALLED package: run it from a directory where the
source tree's bindings/python/nob cannot shadow it (tests/steps/20-python.sh).
"""

import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import nob
import nob.ipc

SHM = "/dev/shm"

# The per-run prefix: tests/run_all.sh exports NOB_TEST_PREFIX for the whole
# run and afterwards looks for leftovers with that prefix only.
RUN_PREFIX = os.environ.get("NOB_TEST_PREFIX") or "nobt"

# A shell that starts the suite in the background (`cmd &` without job
# control, as nohup scripts and some CI runners do) hands it SIGINT ignored;
# Python then installs no KeyboardInterrupt handler, here or in the children
# the tests start, and every Ctrl+C test would fail for a reason that is not
# nob's. Put Python's own handler back: exec resets it to the default in
# children, where Python installs it again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def shm_path(name):
    """The backing file of a semaphore name on Linux ('/x' -> /dev/shm/sem.x)."""
    return os.path.join(SHM, "sem." + name.lstrip("/"))


def sem_exists(name):
    """True when the name has a backing file in /dev/shm."""
    return os.path.exists(shm_path(name))


def remove_quietly(name):
    """Remove a semaphore name if it exists."""
    try:
        os.unlink(shm_path(name))
    except FileNotFoundError:
        pass


def _prefix_for(request):
    test = re.sub(r"[^A-Za-z0-9._-]", "_", request.node.name)
    return f"{RUN_PREFIX}-{os.getpid()}-{test}"[:200]


@pytest.fixture
def sem_prefix(request):
    """The prefix every semaphore name of this test starts with."""
    return _prefix_for(request)


@pytest.fixture
def sem_name(sem_prefix):
    """A name unique to this test and process: '<run prefix>-<pid>-<testname>' (no slash)."""
    return sem_prefix


@pytest.fixture
def make_name(sem_prefix):
    """make_name('x') -> '<run prefix>-<pid>-<testname>-x', for tests that need several names."""
    return lambda suffix: f"{sem_prefix}-{suffix}"


@pytest.fixture(autouse=True)
def no_leftover_semaphores(request):
    """Fails a test that leaves any semaphore, plain (sem.) or robust (nob., and its lock
    file nob~), with its prefix in /dev/shm (and removes them)."""
    prefixes = tuple(kind + _prefix_for(request) for kind in ("sem.", "nob.", "nob~"))
    yield
    left = []
    for _ in range(50):  # children may still be exiting
        left = [f for f in os.listdir(SHM) if f.startswith(prefixes)]
        if not left:
            break
        time.sleep(0.02)
    for f in left:
        try:
            os.unlink(os.path.join(SHM, f))
        except FileNotFoundError:
            pass
    assert not left, f"left behind in /dev/shm: {left}"


@pytest.fixture(scope="session", autouse=True)
def installed_package_is_tested():
    """Refuses to run against the source tree instead of the installed package."""
    source_tree = os.path.join("bindings", "python", "nob")
    assert source_tree not in os.path.abspath(nob.__file__), nob.__file__
    assert hasattr(nob.ipc, "NamedSemaphore")


@pytest.fixture
def needs_mypy():
    """Skips a test that runs mypy where mypy is not installed, and says so (it comes with
    the `test` extra: pip install "nob.py[test]")."""
    import importlib.util

    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it comes with the test extra: pip install 'nob.py[test]')")


def child_code(code):
    """Dedented source for a child interpreter."""
    return textwrap.dedent(code)


def start_child(code, *args, **kwargs):
    """Starts `python -c code args...` with pipes; the caller waits for it."""
    return subprocess.Popen(
        [sys.executable, "-c", child_code(code), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def run_child(code, *args, timeout=30):
    """Runs `python -c code args...` to completion; returns CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-c", child_code(code), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for_line(proc, expected, timeout=10.0):
    """Reads the child's stdout until a line equals `expected`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.strip() == expected:
            return
    raise AssertionError(f"child never printed {expected!r}; stderr: {proc.stderr.read()}")


NOBODY = 65534  # uid and gid of "nobody": a real second user for as_nobody()


def as_nobody(make):
    """Runs make() in a forked child that became uid/gid 65534 (a real second user)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)
            make()
            code = 0
        finally:
            os._exit(code)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def open_fds():
    """How many descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


def _mqueue_dir():
    """Where the mqueue file system is mounted: /dev/mqueue, or NOB_TEST_MQUEUE_DIR; None if neither."""
    for d in ("/dev/mqueue", os.environ.get("NOB_TEST_MQUEUE_DIR", "")):
        if d and os.path.ismount(d):
            return d
    return None


@pytest.fixture
def no_leftover_shm_mq(request):
    """Fails a test that leaves a shared memory object (/dev/shm/<prefix>...) or,
    when the mqueue file system is mounted, a message queue with its prefix."""
    prefix = _prefix_for(request)
    yield
    dirs = [SHM] + ([_mqueue_dir()] if _mqueue_dir() else [])
    left = []
    for _ in range(50):  # children may still be exiting
        left = [os.path.join(d, f) for d in dirs for f in os.listdir(d) if f.startswith(prefix)]
        if not left:
            break
        time.sleep(0.02)
    for path in left:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    assert not left, f"left behind: {left}"
